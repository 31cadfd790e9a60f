"""autodiff.inference: maximum-likelihood fits agree with statsmodels to the digits it prints
(estimates, standard errors, log-likelihood, AIC, BIC, intervals, z tests, the HC0 sandwich),
covariances with closed forms, and the Laplace approximation is exact for Gaussian posteriors."""
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import inference

sc = pytest.importorskip("scipy.special")
stats = pytest.importorskip("scipy.stats")


def statsmodels():
    """statsmodels.api (the reference; a dev extra, not a dependency), or the test is skipped."""
    return pytest.importorskip("statsmodels.api")


def poisson_terms(beta, X, y):
    eta = X @ beta
    return np.exp(eta) - y * eta + sc.gammaln(y + 1.0)  # y is data: gammaln of a constant


def logit_terms(beta, X, y):
    eta = X @ beta
    return np.logaddexp(0.0, eta) - y * eta


def summed(terms):
    return lambda beta, X, y: np.sum(terms(beta, X, y))


def check_against(ours, theirs, theirs_hc0):
    # statsmodels prints 4 significant digits of coefficients, 3 decimals of the rest: we ask
    # for far more (both are at the same optimum, the Hessians are exact and analytic)
    np.testing.assert_allclose(ours.flat_params, theirs.params, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.bse, theirs.bse, rtol=1e-6)
    np.testing.assert_allclose(ours.loglik, theirs.llf, rtol=1e-10)
    np.testing.assert_allclose(ours.aic, theirs.aic, rtol=1e-10)
    np.testing.assert_allclose(ours.bic, theirs.bic, rtol=1e-10)
    np.testing.assert_allclose(ours.conf_int(), theirs.conf_int(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.conf_int(0.1), theirs.conf_int(0.1), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.tvalues, theirs.tvalues, rtol=1e-6)
    np.testing.assert_allclose(ours.pvalues, theirs.pvalues, rtol=1e-5, atol=1e-300)
    np.testing.assert_allclose(ours.cov, theirs.cov_params(), rtol=1e-6, atol=1e-14)
    np.testing.assert_allclose(ours.cov_robust, theirs_hc0.cov_params(), rtol=1e-6, atol=1e-14)


def test_poisson_regression_matches_statsmodels():
    sm = statsmodels()
    data = sm.datasets.randhie.load_pandas()
    y = data.endog.to_numpy(float)
    X = sm.add_constant(data.exog).to_numpy(float)
    names = ["const"] + list(data.exog.columns)
    ours = inference.fit(summed(poisson_terms), np.zeros(X.shape[1]), args=(X, y),
                         per_observation=poisson_terms, param_names=names)
    theirs = sm.Poisson(y, X).fit(disp=0)
    check_against(ours, theirs, sm.Poisson(y, X).fit(disp=0, cov_type="HC0"))
    assert ours.converged and ours.nobs == y.size
    table = ours.summary()
    assert "lncoins" in table and f"{theirs.bse[1]:.3f}" in table and "P>|z|" in table


def test_logit_matches_statsmodels_robust_summary():
    sm = statsmodels()
    data = sm.datasets.spector.load_pandas()
    y = data.endog.to_numpy(float)
    X = sm.add_constant(data.exog).to_numpy(float)
    ours = inference.fit(summed(logit_terms), np.zeros(X.shape[1]), args=(X, y),
                         per_observation=logit_terms, cov_type="robust")
    theirs = sm.Logit(y, X).fit(disp=0)
    hc0 = sm.Logit(y, X).fit(disp=0, cov_type="HC0")
    ours_plain = inference.fit(summed(logit_terms), np.zeros(X.shape[1]), args=(X, y),
                               per_observation=logit_terms)
    check_against(ours_plain, theirs, hc0)
    # cov_type="robust": the tests and intervals are statsmodels' HC0 ones
    np.testing.assert_allclose(ours.bse, hc0.bse, rtol=1e-6)
    np.testing.assert_allclose(ours.pvalues, hc0.pvalues, rtol=1e-5)
    np.testing.assert_allclose(ours.conf_int(), hc0.conf_int(), rtol=1e-6)
    assert "robust" in ours.summary() and ours.param_names == ["x0", "x1", "x2", "x3"]


def test_newton_polish_takes_the_optimum_to_round_off():
    # scipy's trust-exact stops at |gradient| ~ 4e-6 on the spector logit, a relative error of
    # 2e-7 in the estimates; the polish's Newton steps on the exact Hessian remove it
    sm = statsmodels()
    data = sm.datasets.spector.load_pandas()
    y = data.endog.to_numpy(float)
    X = sm.add_constant(data.exog).to_numpy(float)
    nll = summed(logit_terms)
    rough = inference.fit(nll, np.zeros(4), args=(X, y), polish=0)
    polished = inference.fit(nll, np.zeros(4), args=(X, y))
    gradient = lambda b: np.linalg.norm(ad.grad(nll)(b, X, y))
    assert gradient(rough.flat_params) > 1e-7 > 1e-10 > gradient(polished.flat_params)


def test_normal_linear_model_covariance_is_the_closed_form():
    # params as a dict: beta and sigma; at the MLE the observed information is block diagonal,
    # X'X / s^2 for beta and 2 n / s^2 for sigma, with s^2 = RSS / n
    rng = np.random.default_rng(0)
    n = 60
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.7 * rng.normal(size=n)

    def nll(p, X, y):
        r = y - X @ p["beta"]
        return n * np.log(p["sigma"]) + 0.5 * np.sum(r ** 2) / p["sigma"] ** 2 \
            + 0.5 * n * np.log(2 * np.pi)

    res = inference.fit(nll, {"beta": np.zeros(3), "sigma": 1.0}, args=(X, y), nobs=n)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    s2 = np.sum((y - X @ beta) ** 2) / n
    np.testing.assert_allclose(res.params["beta"], beta, rtol=1e-9)
    np.testing.assert_allclose(res.params["sigma"], np.sqrt(s2), rtol=1e-9)
    expected = np.zeros((4, 4))
    expected[:3, :3] = s2 * np.linalg.inv(X.T @ X)
    expected[3, 3] = s2 / (2 * n)
    np.testing.assert_allclose(res.cov, expected, rtol=1e-8, atol=1e-14)
    assert res.param_names == ["beta[0]", "beta[1]", "beta[2]", "sigma"]
    np.testing.assert_allclose(res.loglik, np.sum(stats.norm.logpdf(y, X @ beta, np.sqrt(s2))))
    np.testing.assert_allclose(res.bic, -2 * res.loglik + 4 * np.log(n))


def test_hessian_not_positive_definite_warns_and_gives_nan():
    # b0 and b1 enter only through their sum: not identified, a singular Hessian
    flat = lambda b: (b[0] + b[1] - 1.0) ** 2
    with pytest.warns(inference.HessianNotPositiveDefiniteWarning, match="not positive definite"):
        res = inference.fit(flat, np.zeros(2), nobs=10)
    assert np.all(np.isnan(res.cov)) and np.all(np.isnan(res.bse))
    assert np.all(np.isnan(res.conf_int())) and np.all(np.isnan(res.pvalues))
    # a saddle where the optimizer starts (zero gradient): indefinite, same warning
    saddle = lambda p: p[0] ** 2 - p[1] ** 2 + 0.25 * p[1] ** 4
    terms = lambda p: np.stack([p[0] ** 2, -p[1] ** 2 + 0.25 * p[1] ** 4])
    with pytest.warns(inference.HessianNotPositiveDefiniteWarning, match="eigenvalue -2"):
        res = inference.fit(saddle, np.zeros(2), per_observation=terms)
    assert np.all(np.isnan(res.cov_robust))
    with pytest.warns(inference.HessianNotPositiveDefiniteWarning):
        lap = inference.laplace(saddle, np.zeros(2))
    assert np.isnan(lap.log_marginal) and np.all(np.isnan(lap.cov))


def test_positive_definite_fit_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = inference.fit(lambda b: np.sum((b - 1.0) ** 2) + b[0] * b[1], np.zeros(2))
    np.testing.assert_allclose(res.cov, np.linalg.inv([[2.0, 1.0], [1.0, 2.0]]))


def test_laplace_is_exact_for_bayesian_linear_regression():
    # y = X b + e, e ~ N(0, s^2 I), b ~ N(0, t^2 I): the posterior is Gaussian and the evidence
    # is y ~ N(0, s^2 I + t^2 X X')
    rng = np.random.default_rng(1)
    n, s, t = 25, 0.5, 2.0
    X = rng.normal(size=(n, 3))
    y = X @ np.array([0.3, -1.0, 2.0]) + s * rng.normal(size=n)

    def neg_log_joint(b, X, y):
        r = y - X @ b
        return (0.5 * np.sum(r ** 2) / s ** 2 + n * np.log(s) + 0.5 * n * np.log(2 * np.pi)
                + 0.5 * np.sum(b ** 2) / t ** 2 + 3 * np.log(t) + 1.5 * np.log(2 * np.pi))

    lap = inference.laplace(neg_log_joint, np.zeros(3), args=(X, y))
    evidence = stats.multivariate_normal(np.zeros(n), s ** 2 * np.eye(n) + t ** 2 * X @ X.T)
    np.testing.assert_allclose(lap.log_marginal, evidence.logpdf(y), rtol=1e-10)
    precision = X.T @ X / s ** 2 + np.eye(3) / t ** 2
    np.testing.assert_allclose(lap.cov, np.linalg.inv(precision), rtol=1e-9)
    np.testing.assert_allclose(lap.mode, np.linalg.solve(precision, X.T @ y / s ** 2),
                               rtol=1e-8)


def test_laplace_keeps_the_pytree_structure():
    lap = inference.laplace(lambda p: 0.5 * (p["a"] - 1.0) ** 2 + 0.5 * np.sum(p["b"] ** 2) * 4,
                            {"a": 0.0, "b": np.ones(2)})
    assert set(lap.mode) == {"a", "b"} and lap.mode["b"].shape == (2,)
    np.testing.assert_allclose(lap.std, [1.0, 0.5, 0.5])
    np.testing.assert_allclose(lap.log_marginal, 1.5 * np.log(2 * np.pi) - 0.5 * np.log(16.0))
    assert lap.param_names == ["a", "b[0]", "b[1]"]


def test_bad_requests_are_refused_by_name():
    nll = lambda b: np.sum((b - 1.0) ** 2)
    with pytest.raises(ValueError, match="per_observation's terms sum to"):
        inference.fit(lambda b: nll(b) + 1.0, np.zeros(2), per_observation=lambda b: (b - 1) ** 2)
    with pytest.raises(ValueError, match="needs per_observation"):
        inference.fit(nll, np.zeros(2), cov_type="robust")
    with pytest.raises(ValueError, match="cov_type"):
        inference.fit(nll, np.zeros(2), cov_type="HC0")
    with pytest.raises(ValueError, match="2 names for 3 parameters"):
        inference.fit(nll, np.zeros(3), param_names=["a", "b"])
    with pytest.raises(ValueError, match="nobs=5 but per_observation returns 2"):
        inference.fit(nll, np.zeros(2), per_observation=lambda b: (b - 1.0) ** 2, nobs=5)
    with pytest.raises(ValueError, match="bic needs the number of observations"):
        inference.fit(nll, np.zeros(2)).bic
    with pytest.raises(ValueError, match="alpha"):
        inference.fit(nll, np.zeros(2)).conf_int(alpha=5)


def test_optimizer_failure_warns():
    with pytest.warns(inference.ConvergenceWarning, match="did not converge"):
        inference.fit(lambda b: np.sum(b ** 4 - b), np.full(2, 3.0), options={"maxiter": 1})
