"""Bayesian model comparison with the Laplace approximation: the log evidence log p(y | model)
of logistic regressions with a normal prior, from the exact Hessian at the posterior mode
(autodiff.inference.laplace), against importance sampling.

Data: Spector and Mazzeo's teaching-method data (statsmodels.datasets.spector, shipped with
statsmodels): did 32 students' grades improve (GRADE) given GPA, TUCE and a new teaching method
(PSI)? Which covariates does the evidence support?

    python examples/laplace_evidence.py        (needs statsmodels for the data)
"""
import time

import numpy as np
from scipy import stats
from scipy.special import logsumexp

from autodiff import inference

try:
    import statsmodels.api as sm
except ImportError:
    raise SystemExit("this example uses statsmodels' spector data: pip install statsmodels")

PRIOR_SD = 10.0   # beta ~ N(0, PRIOR_SD^2 I)
SAMPLES = 100_000


def neg_log_joint(beta, X, y):
    """-log p(y, beta): Bernoulli likelihood with a logit link, normal prior. Also vectorized
    over a leading axis of beta (importance sampling)."""
    eta = beta @ X.T
    k = X.shape[1]
    return (np.sum(np.logaddexp(0.0, eta) - y * eta, axis=-1)
            + 0.5 * np.sum(beta ** 2, axis=-1) / PRIOR_SD ** 2
            + k * np.log(PRIOR_SD) + 0.5 * k * np.log(2 * np.pi))


def importance_sampling(lap, X, y, rng, df=4.0):
    """log p(y) by importance sampling from a multivariate t around the Laplace Gaussian (heavier
    tails than the posterior), with its standard error."""
    proposal = stats.multivariate_t(lap.flat_mode, lap.cov, df=df)
    theta = proposal.rvs(SAMPLES, random_state=rng).reshape(SAMPLES, -1)
    log_w = -neg_log_joint(theta, X, y) - proposal.logpdf(theta)
    w = np.exp(log_w - log_w.max())
    return logsumexp(log_w) - np.log(SAMPLES), np.std(w) / np.mean(w) / np.sqrt(SAMPLES)


def main():
    data = sm.datasets.spector.load_pandas()
    y = data.endog.to_numpy(float)
    X = sm.add_constant(data.exog)
    rng = np.random.default_rng(0)
    models = [["const", "GPA", "TUCE", "PSI"], ["const", "GPA", "PSI"], ["const", "GPA", "TUCE"],
              ["const", "PSI"]]
    print(f"{'model':<26}{'Laplace':>10}{'sampling':>11}{'± se':>8}{'Laplace s':>11}")
    results = []
    for columns in models:
        Xm = X[columns].to_numpy(float)
        start = time.perf_counter()
        lap = inference.laplace(neg_log_joint, np.zeros(len(columns)), args=(Xm, y),
                                param_names=columns)
        took = time.perf_counter() - start
        reference, se = importance_sampling(lap, Xm, y, rng)
        results.append((" + ".join(columns[1:]), lap.log_marginal, reference))
        print(f"{results[-1][0]:<26}{lap.log_marginal:>10.3f}{reference:>11.3f}{se:>8.3f}"
              f"{took:>11.3f}")
        assert abs(lap.log_marginal - reference) < 0.2  # Laplace's error at n = 32
    best = max(results, key=lambda r: r[1])
    assert best == max(results, key=lambda r: r[2])  # both rank the models alike
    runner_up = sorted(r[1] for r in results)[-2]
    print(f"best model: {best[0]}; Bayes factor over the next {np.exp(best[1] - runner_up):.1f}"
          f" (Laplace); the Laplace log evidence is within 0.2 of importance sampling's")


if __name__ == "__main__":
    main()
