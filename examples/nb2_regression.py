"""Negative-binomial (NB2) count regression by maximum likelihood, written as plain NumPy +
scipy.special and fitted with autodiff.inference.fit, against statsmodels' NegativeBinomial.

Data: the RAND Health Insurance Experiment (statsmodels.datasets.randhie, shipped with
statsmodels): 20,190 people, mdvis = number of outpatient visits, 9 covariates. Standard errors
come from the exact Hessian of the log-likelihood (statsmodels: analytic derivatives written by
hand for this model); the robust ones from the per-observation scores (statsmodels' HC0).

    python examples/nb2_regression.py          (needs statsmodels: pip install statsmodels)
"""
import time

import numpy as np
from scipy.special import gammaln

from autodiff import inference

try:
    import statsmodels.api as sm
except ImportError:
    raise SystemExit("this example compares with statsmodels: pip install statsmodels")


def nb2_terms(params, X, y):
    """Per-observation negative log-likelihood of NB2: mean mu = exp(X beta), variance
    mu + alpha mu^2 (alpha > 0 the overdispersion)."""
    beta, alpha = params
    mu = np.exp(X @ beta)
    size = 1.0 / alpha
    loglik = (gammaln(y + size) - gammaln(size) - gammaln(y + 1.0)
              + size * np.log(size / (size + mu)) + y * np.log(mu / (size + mu)))
    return -loglik


def nb2_negloglik(params, X, y):
    return np.sum(nb2_terms(params, X, y))


def main():
    data = sm.datasets.randhie.load_pandas()
    y = data.endog.to_numpy(float)
    X = sm.add_constant(data.exog).to_numpy(float)
    names = ["const"] + list(data.exog.columns) + ["alpha"]

    start = time.perf_counter()
    ours = inference.fit(nb2_negloglik, (np.zeros(X.shape[1]), 1.0), args=(X, y),
                         per_observation=nb2_terms, param_names=names)
    ours_time = time.perf_counter() - start
    print(f"autodiff.inference.fit (trust-exact, exact Hessian), {ours_time:.2f} s")
    print(ours.summary())

    # statsmodels' default optimizer (bfgs, 35 iterations) stops short of the optimum here;
    # its Newton method converges
    model = sm.NegativeBinomial(y, X, loglike_method="nb2")
    start = time.perf_counter()
    theirs = model.fit(disp=0, method="newton", maxiter=100)
    theirs_time = time.perf_counter() - start
    robust = model.fit(disp=0, method="newton", maxiter=100, cov_type="HC0")
    robust_bse = np.sqrt(np.diag(ours.cov_robust))

    print(f"\nstatsmodels NegativeBinomial (newton), {theirs_time:.2f} s; side by side:")
    print(f"{'':<10}{'coef':>12}{'statsmodels':>13}{'std err':>11}{'statsmodels':>13}"
          f"{'robust se':>11}{'HC0':>9}")
    for row in zip(names, ours.flat_params, theirs.params, ours.bse, theirs.bse, robust_bse,
                   robust.bse):
        print(f"{row[0]:<10}{row[1]:>12.4f}{row[2]:>13.4f}{row[3]:>11.3f}{row[4]:>13.3f}"
              f"{row[5]:>11.3f}{row[6]:>9.3f}")
    print(f"log-likelihood {ours.loglik:.4f} vs {theirs.llf:.4f}; AIC {ours.aic:.3f} vs "
          f"{theirs.aic:.3f}; BIC {ours.bic:.3f} vs {theirs.bic:.3f}")

    checks = [(ours.flat_params, theirs.params), (ours.bse, theirs.bse),
              (ours.conf_int(), theirs.conf_int()), (ours.pvalues, theirs.pvalues),
              (robust_bse, robust.bse), ([ours.loglik, ours.aic, ours.bic],
                                         [theirs.llf, theirs.aic, theirs.bic])]
    worst = max(np.max(np.abs(np.subtract(a, b)) / np.maximum(np.abs(b), 1e-12))
                for a, b in checks)
    assert worst < 1e-6, worst
    print(f"estimates, standard errors (plain and HC0), intervals, p-values, log-likelihood, "
          f"AIC and BIC agree with statsmodels: largest relative difference {worst:.1e}")


if __name__ == "__main__":
    main()
