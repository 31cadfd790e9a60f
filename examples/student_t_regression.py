"""Student-t linear regression (heavy-tailed errors, degrees of freedom and scale estimated) by
maximum likelihood, written as plain NumPy + scipy.special and fitted with
autodiff.inference.fit, against statsmodels' GenericLikelihoodModel (its "MyT" example).

Data: the stack-loss data (statsmodels.datasets.stackloss, shipped with statsmodels): 21 days
of a plant's operation, 3 covariates. statsmodels' generic models get the Hessian by finite
differences; ours is exact, and the difference shows in the last printed digit of a few
standard errors: checked here against central differences of the exact gradient.

    python examples/student_t_regression.py    (needs statsmodels: pip install statsmodels)
"""
import warnings

import numpy as np
from scipy import stats
from scipy.special import gammaln

import autodiff as ad
from autodiff import inference

try:
    import statsmodels.api as sm
    from statsmodels.base.model import GenericLikelihoodModel
except ImportError:
    raise SystemExit("this example compares with statsmodels: pip install statsmodels")


def t_terms(params, X, y):
    """Per-observation negative log-likelihood: y = X beta + scale * e, e ~ Student-t(df)."""
    beta, df, scale = params
    z = (y - X @ beta) / scale
    return -(gammaln((df + 1.0) / 2.0) - gammaln(df / 2.0) - 0.5 * np.log(df * np.pi)
             - np.log(scale) - (df + 1.0) / 2.0 * np.log1p(z ** 2 / df))


def t_negloglik(params, X, y):
    return np.sum(t_terms(params, X, y))


def natural(log_params):
    """(beta, log df, log scale) -> (beta, df, scale)."""
    beta, log_df, log_scale = log_params
    return beta, np.exp(log_df), np.exp(log_scale)


class StatsmodelsT(GenericLikelihoodModel):
    """statsmodels' own way: scipy.stats.t.logpdf, numerical derivatives."""

    def nloglikeobs(self, params):
        beta, df, scale = params[:-2], params[-2], params[-1]
        return -stats.t.logpdf(self.endog, df, loc=self.exog @ beta, scale=scale)


def main():
    data = sm.datasets.stackloss.load_pandas()
    y = data.endog.to_numpy(float)
    X = sm.add_constant(data.exog).to_numpy(float)
    names = ["const"] + list(data.exog.columns) + ["df", "scale"]
    ols = sm.OLS(y, X).fit()

    # df and scale are positive: optimize on their logarithms (no step can leave the domain),
    # then fit again in the natural parameters from that optimum (the MLE is invariant; the
    # standard errors are the natural parameters' ones, as statsmodels reports them)
    start = (ols.params, np.log(5.0), np.log(np.sqrt(ols.scale)))
    on_logs = inference.fit(lambda p, X, y: t_negloglik(natural(p), X, y), start, args=(X, y))
    ours = inference.fit(t_negloglik, natural(on_logs.params), args=(X, y),
                         per_observation=t_terms, param_names=names)
    print(ours.summary())

    model = StatsmodelsT(y, X, extra_params_names=["df", "scale"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy.stats at trial points with df or scale <= 0
        first = model.fit(start_params=np.r_[ols.params, 5.0, np.sqrt(ols.scale)], method="nm",
                          maxiter=10000, maxfun=10000, disp=0)
        theirs = model.fit(start_params=first.params, method="bfgs", gtol=1e-10, disp=0)

    print("\nstatsmodels GenericLikelihoodModel (numerical Hessian); side by side:")
    print(f"{'':<11}{'coef':>11}{'statsmodels':>13}{'std err':>10}{'statsmodels':>13}")
    for row in zip(names, ours.flat_params, theirs.params, ours.bse, theirs.bse):
        print(f"{row[0]:<11}{row[1]:>11.4f}{row[2]:>13.4f}{row[3]:>10.3f}{row[4]:>13.3f}")
    print(f"log-likelihood {ours.loglik:.4f} vs {theirs.llf:.4f}; AIC {ours.aic:.3f} vs "
          f"{theirs.aic:.3f}; BIC {ours.bic:.3f} vs {theirs.bic:.3f}")

    estimates = np.max(np.abs(ours.flat_params - theirs.params) / np.abs(theirs.params))
    errors = np.max(np.abs(ours.bse - theirs.bse) / theirs.bse)
    assert estimates < 1e-6 and abs(ours.loglik - theirs.llf) < 1e-6 * abs(theirs.llf)
    assert errors < 1e-3  # statsmodels' finite differences: about 2e-4 off here

    # the exact Hessian against central differences of the exact gradient (h = 1e-6 |p|: their
    # error shrinks as h^2, 100 times per factor 10 in h, towards ours)
    flat = ours.flat_params
    gradient = ad.grad(lambda p: t_negloglik((p[:-2], p[-2], p[-1]), X, y))
    steps = 1e-6 * np.maximum(np.abs(flat), 1.0)
    columns = [(gradient(flat + h * e) - gradient(flat - h * e)) / (2 * h)
               for h, e in zip(steps, np.eye(flat.size))]
    fd = np.column_stack(columns)
    fd_bse = np.sqrt(np.diag(np.linalg.inv((fd + fd.T) / 2)))
    fd_error = np.max(np.abs(fd_bse - ours.bse) / ours.bse)
    assert fd_error < 1e-6, fd_error
    print(f"estimates and log-likelihood agree with statsmodels (relative {estimates:.1e}); "
          f"standard errors to {errors:.1e}, statsmodels' finite-difference error: ours agree "
          f"with those of central differences of the exact gradient to {fd_error:.1e}")


if __name__ == "__main__":
    main()
