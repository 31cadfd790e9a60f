"""autodiff.scipy.stats: scipy's values, and exact derivatives in the data and every
parameter (checked to second order against finite differences)."""
import numpy as np
import pytest
import scipy.stats as st

import autodiff as ad
from autodiff.scipy import stats

rng = np.random.default_rng(7)
x = rng.uniform(0.2, 0.8, 4)
CONTINUOUS = {  # name: parameters after x (positional, in scipy's order)
    "norm": (0.3, 1.7), "t": (3.5, 0.1, 1.2), "cauchy": (0.1, 0.9), "laplace": (0.6, 0.7),
    "logistic": (0.1, 1.3), "gamma": (2.3, 0.05, 1.4), "beta": (1.5, 2.5, -0.1, 1.2),
    "expon": (0.1, 2.0), "lognorm": (0.8, 0.0, 1.5),
}
SHAPES = {"t": 1, "gamma": 1, "beta": 2, "lognorm": 1}
FUNCTIONS = ("logpdf", "pdf", "logcdf", "cdf", "logsf", "sf")
# distribution functions that are incomplete beta / gamma functions of a shape parameter
NO_SHAPE_DERIVATIVE = {"t", "gamma", "beta"}


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_values_match_scipy(name):
    args = CONTINUOUS[name]
    for fn in FUNCTIONS:
        np.testing.assert_allclose(getattr(getattr(stats, name), fn)(x, *args),
                                   getattr(getattr(st, name), fn)(x, *args), rtol=1e-10)


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_derivatives_in_data_and_every_parameter(name):
    args = tuple(np.float64(a) for a in CONTINUOUS[name])
    dist = getattr(stats, name)
    ad.check_grads(lambda x, *p: dist.logpdf(x, *p), (x,) + args, order=2)
    first = SHAPES.get(name, 0) if name in NO_SHAPE_DERIVATIVE else 0
    for fn in ("logcdf", "logsf"):
        ad.check_grads(lambda x, *p: getattr(dist, fn)(x, *args[:first], *p), (x,) + args[first:],
                       order=2)


def test_gamma_scale_derivative_that_autograd_lacks():
    # d/dscale of gamma.logpdf(x, a, scale=s) = -a / s + x / s**2
    a, s = 2.3, 1.4
    g = ad.grad(lambda s: stats.gamma.logpdf(x, a, scale=s).sum())(s)
    assert g == pytest.approx(np.sum(-a / s + x / s ** 2), rel=1e-12)


def test_a_traced_shape_inside_an_incomplete_function_is_refused():
    with pytest.raises(NotImplementedError, match=r"gammainc with respect to a"):
        ad.grad(lambda a: stats.gamma.cdf(x, a).sum())(2.0)
    with pytest.raises(NotImplementedError, match=r"stdtr with respect to df"):
        ad.grad(lambda df: stats.t.logcdf(x, df).sum())(3.0)


def test_outside_the_support_the_log_density_is_minus_infinity_with_finite_gradients():
    z = np.array([-0.5, 0.5, 1.5])
    np.testing.assert_array_equal(stats.gamma.logpdf(z, 2.0), st.gamma.logpdf(z, 2.0))
    np.testing.assert_array_equal(stats.beta.logpdf(z, 2.0, 3.0), st.beta.logpdf(z, 2.0, 3.0))
    g = ad.grad(lambda a: stats.gamma.logpdf(z, a)[1])(2.0)
    assert np.isfinite(g)


K = np.array([0.0, 1.0, 2.0, 5.0])
DISCRETE = {"poisson": (2.5,), "binom": (6.0, 0.3), "nbinom": (3.5, 0.4), "bernoulli": (0.3,)}


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_values_and_derivatives(name):
    dist, args = getattr(stats, name), DISCRETE[name]
    k = np.array([0.0, 1.0, 2.0, -1.0, 0.5]) if name == "bernoulli" else np.append(K, [7.0, 1.5])
    for fn in ("logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"):
        np.testing.assert_allclose(getattr(dist, fn)(k, *args),
                                   getattr(getattr(st, name), fn)(k, *args), rtol=1e-10)
    inside = k[np.isfinite(st.__dict__[name].logpmf(k, *args))]
    ad.check_grads(lambda *p: dist.logpmf(inside, *p), tuple(np.float64(a) for a in args),
                   order=2)
    p_only = args[-1:] if name != "poisson" else args  # cdf: exact in mu and p
    ad.check_grads(lambda *p: dist.cdf(inside, *args[:-1], *p) if name != "poisson" else
                   dist.cdf(inside, *p), tuple(np.float64(a) for a in p_only), order=2)


def test_multivariate_normal_and_dirichlet():
    X, m = rng.standard_normal((5, 3)), rng.standard_normal(3)
    A = rng.standard_normal((3, 3))
    C = A @ A.T + 3 * np.eye(3)
    np.testing.assert_allclose(stats.multivariate_normal.logpdf(X, m, C),
                               st.multivariate_normal.logpdf(X, m, C))
    np.testing.assert_allclose(stats.multivariate_normal.logpdf(X[0], m, np.diag(C)),
                               st.multivariate_normal.logpdf(X[0], m, np.diag(np.diag(C))))
    ad.check_grads(lambda X, m, C: stats.multivariate_normal.logpdf(X, m, C), (X, m, C), order=2)
    p = rng.dirichlet(np.ones(3), 4).T
    alpha = np.array([1.5, 2.0, 3.0])
    np.testing.assert_allclose(stats.dirichlet.logpdf(p, alpha), st.dirichlet.logpdf(p, alpha))
    ad.check_grads(lambda p, a: stats.dirichlet.logpdf(p, a), (p, alpha), order=2)


def test_arguments_are_checked_by_name():
    with pytest.raises(TypeError, match=r"gamma.logpdf: missing shape parameter\(s\) a"):
        stats.gamma.logpdf(x)
    with pytest.raises(TypeError, match=r"unexpected argument 'sigma'"):
        stats.norm.logpdf(x, sigma=2.0)
    with pytest.raises(AttributeError, match=r"scipy.stats.weibull_min is not differentiable"):
        stats.weibull_min  # noqa: B018
