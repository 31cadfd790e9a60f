"""Fitting an ODE model with exact-Hessian standard errors: Lotka-Volterra predator-prey
dynamics, observed with log-normal noise, fitted by maximum likelihood (Newton's method with the
exact Hessian of a loss that goes through scipy's odeint), with standard errors from the inverse
of the exact Hessian of the negative log-likelihood at the optimum (the observed information).

    python examples/ode_fit.py      # prints the estimates, standard errors and 95% intervals

The Hessian is exact for the ODE up to the solver's tolerance (rtol=atol=1e-8 here): every
second derivative of the solution goes through forward sensitivities of the adjoint system (see
autodiff.scipy.integrate). The intervals are the asymptotic (Wald) ones; the estimates are
checked against scipy.optimize.least_squares on plain scipy solutions.
"""
import time

import numpy as np

import autodiff as ad
import autodiff.numpy as anp
from autodiff.optimize import minimize
from autodiff.scipy.integrate import odeint
from _common import print_table

NAMES = ["a (prey growth)", "b (predation)", "c (predator death)", "d (predator growth)",
         "prey(0)", "predators(0)", "sigma (log noise)"]
TRUE = np.array([0.55, 0.028, 0.84, 0.026, 33.0, 6.0, 0.1])
T = np.linspace(0.0, 15.0, 16)
TOL = dict(rtol=1e-8, atol=1e-8)


def lotka_volterra(y, t, a, b, c, d):
    prey, predators = y[0], y[1]
    return [a * prey - b * prey * predators, d * prey * predators - c * predators]


def simulate(params, rng):
    a, b, c, d, x0, y0, sigma = params
    ys = odeint(lotka_volterra, [x0, y0], T, args=(a, b, c, d), **TOL)
    return ys * np.exp(sigma * rng.standard_normal(ys.shape))


def nll(log_params, data):
    """The negative log-likelihood of log-normal observations, in log parameters (all positive).
    The first row is observed too: the initial state is a parameter like the rates."""
    a, b, c, d, x0, y0, sigma = anp.exp(log_params)
    ys = odeint(lotka_volterra, anp.stack([x0, y0]), T, args=(a, b, c, d), **TOL)
    r = anp.log(data) - anp.log(ys)
    return 0.5 * anp.sum(r ** 2) / sigma ** 2 + data.size * log_params[6]


def least_squares(data, log_start):
    """The maximum-likelihood rates and initial state by scipy alone (a cross-check)."""
    import scipy.integrate
    import scipy.optimize

    def residuals(u):
        a, b, c, d, x0, y0 = np.exp(u)
        ys = scipy.integrate.odeint(lotka_volterra, [x0, y0], T, args=(a, b, c, d), **TOL)
        return (np.log(data) - np.log(ys)).ravel()
    return scipy.optimize.least_squares(residuals, log_start, xtol=1e-12, ftol=1e-12).x


def main():
    data = simulate(TRUE, np.random.default_rng(1))
    start = np.log(TRUE * np.array([1.1, 0.9, 0.9, 1.1, 0.95, 1.05, 1.5]))
    t0 = time.perf_counter()
    res = minimize(nll, start, method="newton", args=(data,), tol=1e-7)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    H = ad.hessian(nll)(res.x, data)  # observed information of the log parameters
    t_hess = time.perf_counter() - t0
    # autodiff.inference is not there yet: the covariance is the inverse Hessian, directly
    cov = np.linalg.inv(H)
    se_log = np.sqrt(np.diag(cov))
    est = np.exp(res.x)
    se = est * se_log  # the delta method: d exp(u) = exp(u) du
    lo, hi = np.exp(res.x - 1.96 * se_log), np.exp(res.x + 1.96 * se_log)
    print(f"Newton fit: {res.nit} iterations, {t_fit:.1f} s, gradient norm "
          f"{np.linalg.norm(res.jac):.1e}; exact 7x7 Hessian in {t_hess:.1f} s")
    print_table(["parameter", "true", "estimate", "std. error", "95% interval"],
                [[n, f"{t:.4g}", f"{e:.4g}", f"{s:.2g}", f"[{a:.4g}, {b:.4g}]"]
                 for n, t, e, s, a, b in zip(NAMES, TRUE, est, se, lo, hi)])
    inside = int(np.sum((TRUE >= lo) & (TRUE <= hi)))
    print(f"{inside} of 7 true values inside their 95% intervals")
    corr = cov / np.outer(se_log, se_log)
    print(f"largest correlation between estimates: {np.max(np.abs(corr - np.eye(7))):.2f}")
    # the same estimates from scipy's least squares on plain solutions (sigma drops out)
    ls = least_squares(data, start[:6])
    print(f"scipy.optimize.least_squares finds the same rates and initial state: max relative "
          f"difference {np.max(np.abs(np.exp(ls) / est[:6] - 1)):.1e}")

if __name__ == "__main__":
    main()
