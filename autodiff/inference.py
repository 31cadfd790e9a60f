"""autodiff.inference: maximum-likelihood inference and Laplace approximations from exact
Hessians. `fit` minimizes a negative log-likelihood and turns the exact Hessian at the optimum
(the observed information) into covariances, standard errors, Wald tests and confidence
intervals; `laplace` turns it into a Gaussian approximation of a posterior and its evidence.
Needs scipy (the 'optimize' extra)."""
import warnings
from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, cast

import numpy as np

from ._optional import require_scipy
from .optimize import minimize
from .pytree import ravel_pytree
from .transforms import hessian, jacfwd, value_and_grad
from .typing import PyTree, ScalarFun

if TYPE_CHECKING:
    import scipy.optimize

__all__ = ["fit", "laplace", "MLEResult", "LaplaceResult", "HessianNotPositiveDefiniteWarning",
           "ConvergenceWarning"]


class HessianNotPositiveDefiniteWarning(RuntimeWarning):
    """The Hessian at the returned point is not positive definite: it is not a strict local
    minimum (a saddle, a flat direction, an unidentified parameter), so the inverse Hessian is
    no covariance. The covariances are then NaN, never a pseudo-inverse."""


class ConvergenceWarning(RuntimeWarning):
    """The optimizer stopped without reporting success."""


def _leaf_names(tree, prefix=""):
    """Names of the entries of ravel_pytree(tree)'s vector, in its order: dict keys and list
    indices joined by '.', and '[i]' (or '[i,j]') for the entries of an array leaf."""
    if isinstance(tree, dict):
        return [n for k in sorted(tree) for n in _leaf_names(tree[k], _join(prefix, str(k)))]
    if isinstance(tree, (list, tuple)):
        fields = getattr(tree, "_fields", None)
        return [n for i, t in enumerate(tree)
                for n in _leaf_names(t, _join(prefix, fields[i] if fields else str(i)))]
    if tree is None:
        return []
    shape = np.shape(tree)
    base = prefix or "x"
    if shape == ():
        return [base]
    return [f"{base}[{','.join(map(str, index))}]" for index in np.ndindex(*shape)]


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def _param_names(x0, k, param_names):
    if param_names is None:
        return _leaf_names(x0) if isinstance(x0, (dict, list, tuple)) else [
            f"x{i}" for i in range(k)]
    names = [str(n) for n in param_names]
    if len(names) != k:
        raise ValueError(f"param_names has {len(names)} names for {k} parameters")
    return names


def _inverse_if_positive_definite(h, what):
    """(inverse of h, log det h), or (NaN matrix, NaN) with a warning giving the smallest
    eigenvalue, when h is not positive definite: an eigenvalue at most k * eps * the largest
    counts as zero (a Cholesky factorization can pass a singular matrix through round-off)."""
    k = h.shape[0]
    nan = np.full((k, k), np.nan)
    if not np.all(np.isfinite(h)):
        warnings.warn(f"{what}: the Hessian at the optimum has non-finite entries; the "
                      f"covariance is NaN", HessianNotPositiveDefiniteWarning, stacklevel=3)
        return nan, np.nan
    lam, q = np.linalg.eigh((h + h.T) / 2.0)
    if k and lam[0] <= k * np.finfo(float).eps * max(abs(lam[-1]), abs(lam[0])):
        warnings.warn(f"{what}: the Hessian at the optimum is not positive definite (smallest "
                      f"eigenvalue {lam[0]:.3g}, largest {lam[-1]:.3g}): not a strict local "
                      f"minimum, or some parameter is not identified; the covariance is NaN",
                      HessianNotPositiveDefiniteWarning, stacklevel=3)
        return nan, np.nan
    return (q / lam) @ q.T, float(np.sum(np.log(lam)))


def _optimum(f, x0, args, method, tol, options, polish, what):
    """(optimizer's result, flat optimum, unravel, f and its exact Hessian there)."""
    res = minimize(f, x0, method=method, args=args, tol=tol, options=options)
    if not res.success:
        warnings.warn(f"{what}: the optimizer ({method}) did not converge: {res.message}",
                      ConvergenceWarning, stacklevel=3)
    _, unravel = ravel_pytree(x0)
    flat_f = lambda z: f(unravel(z), *args)
    x, h = _newton_polish(flat_f, ravel_pytree(res.x)[0], polish)
    if h is None:
        h = np.asarray(hessian(flat_f)(x), dtype=float)
    return res, x, unravel, float(flat_f(x)), h


def _newton_polish(flat_f, x, max_steps):
    """Newton steps with the exact Hessian from x while they shrink the gradient: optimizers
    stop at a gradient tolerance, and the last digits of estimates need the optimum to
    round-off (two steps usually, as Newton converges quadratically near it). Returns the
    point and its Hessian when it was computed there (None otherwise)."""
    h = None
    if not max_steps:
        return x, h
    f, g = value_and_grad(flat_f)(x)
    for _ in range(int(max_steps)):
        h = np.asarray(hessian(flat_f)(x), dtype=float)
        lam, q = np.linalg.eigh((h + h.T) / 2.0)
        if not np.all(np.isfinite(lam)) or lam[0] <= 0.0:
            break  # only where the quadratic model has a minimum
        step = -(q / lam) @ (q.T @ g)
        f_new, g_new = value_and_grad(flat_f)(x + step)
        if not (np.isfinite(f_new) and f_new <= f + 1e-12 * (1.0 + abs(f))
                and np.linalg.norm(g_new) < np.linalg.norm(g)):
            break
        x, f, g, h = x + step, f_new, g_new, None
    return x, h


class MLEResult:
    """A maximum-likelihood fit. `params` is in x0's structure; every array below is on the
    flat parameter vector (ravel_pytree's order), named by `param_names`.

    cov: inverse observed information (inverse exact Hessian of the negative log-likelihood);
    cov_robust: the sandwich H^-1 (J^T J) H^-1 from the per-observation terms (None without
    them); cov_type: which of the two bse, tvalues, pvalues, conf_int and summary use."""

    def __init__(self, params: PyTree, flat_params: np.ndarray, param_names: List[str],
                 loglik: float, nobs: Optional[int], hessian: np.ndarray, cov: np.ndarray,
                 cov_robust: Optional[np.ndarray], cov_type: str,
                 optimize_result: "scipy.optimize.OptimizeResult", method: str) -> None:
        self.params = params
        self.flat_params = flat_params
        self.param_names = param_names
        self.loglik = loglik
        self.nobs = nobs
        self.hessian = hessian
        self.cov = cov
        self.cov_robust = cov_robust
        self.cov_type = cov_type
        self.optimize_result = optimize_result
        self.method = method
        self.converged = bool(optimize_result.success)

    @property
    def k(self) -> int:
        """The number of estimated parameters."""
        return self.flat_params.size

    def cov_params(self) -> np.ndarray:
        """The covariance matrix that bse, tests and intervals use (chosen by cov_type)."""
        return cast(np.ndarray, self.cov_robust) if self.cov_type == "robust" else self.cov

    @property
    def bse(self) -> np.ndarray:
        """Standard errors: the square roots of cov_params()'s diagonal."""
        return np.sqrt(np.diag(self.cov_params()))

    @property
    def tvalues(self) -> np.ndarray:
        """Wald statistics params / bse (z statistics: asymptotically standard normal)."""
        return self.flat_params / self.bse

    @property
    def pvalues(self) -> np.ndarray:
        """Two-sided p-values of the z statistics under the standard normal."""
        stats = require_scipy().stats
        return 2.0 * stats.norm.sf(np.abs(self.tvalues))

    def conf_int(self, alpha: float = 0.05) -> np.ndarray:
        """Wald confidence intervals of level 1 - alpha: an array (k, 2) of lower, upper."""
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"conf_int: alpha must be in (0, 1), got {alpha!r}")
        q = require_scipy().stats.norm.ppf(1.0 - alpha / 2.0)
        half = q * self.bse
        return np.column_stack([self.flat_params - half, self.flat_params + half])

    @property
    def aic(self) -> float:
        """Akaike's information criterion, -2 loglik + 2 k."""
        return -2.0 * self.loglik + 2.0 * self.k

    @property
    def bic(self) -> float:
        """The Bayesian information criterion, -2 loglik + k log(nobs) (needs nobs)."""
        if self.nobs is None:
            raise ValueError("bic needs the number of observations: pass nobs= to fit (or "
                             "per_observation=, whose length gives it)")
        return -2.0 * self.loglik + self.k * np.log(self.nobs)

    def summary(self, alpha: float = 0.05) -> str:
        """A table of estimates, standard errors, z statistics, p-values and confidence
        intervals, with the log-likelihood and information criteria (as statsmodels')."""
        ci = self.conf_int(alpha)
        lo, hi = f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"
        width = max([len(n) for n in self.param_names] + [12])
        head = [("Method:", f"MLE ({self.method})"), ("Converged:", str(self.converged)),
                ("Covariance:", self.cov_type), ("Log-Likelihood:", f"{self.loglik:.6g}"),
                ("No. Observations:", "?" if self.nobs is None else str(self.nobs)),
                ("AIC:", f"{self.aic:.6g}")]
        if self.nobs is not None:
            head.append(("BIC:", f"{self.bic:.6g}"))
        lines = [f"{key:<20}{value}" for key, value in head]
        header = (f"{'':<{width}} {'coef':>10} {'std err':>10} {'z':>10} {'P>|z|':>10} "
                  f"{lo:>11} {hi:>11}")
        rule = "=" * len(header)
        rows = [f"{name:<{width}} {p:>10.4f} {s:>10.3f} {z:>10.3f} {pv:>10.3f} {a:>11.3f} "
                f"{b:>11.3f}" for name, p, s, z, pv, (a, b) in
                zip(self.param_names, self.flat_params, self.bse, self.tvalues, self.pvalues, ci)]
        return "\n".join([rule] + lines + [rule, header, "-" * len(header)] + rows + [rule])

    def __repr__(self) -> str:
        return f"MLEResult(loglik={self.loglik:.6g}, k={self.k}, converged={self.converged})"


def fit(negloglik: ScalarFun, x0: PyTree, args: Sequence[Any] = (), method: str = "trust-exact",
        *, per_observation: Optional[Callable[..., Any]] = None, nobs: Optional[int] = None,
        param_names: Optional[Sequence[str]] = None, cov_type: str = "nonrobust",
        tol: Optional[float] = None, options: Optional[dict] = None,
        polish: int = 3) -> MLEResult:
    """Maximum-likelihood estimates of negloglik(params, *args) from x0 (a pytree), with
    inference from the exact Hessian at the optimum. Minimizes through
    `autodiff.optimize.minimize` (method, tol, options as there), then takes up to `polish`
    Newton steps with the exact Hessian while they shrink the gradient (polish=0: none).

    per_observation(params, *args): the vector of per-observation negative log-likelihood terms,
    whose sum is negloglik; it gives nobs (its length) and the robust (sandwich) covariance,
    whose meat is J^T J for J its Jacobian (forward mode: one tangent per parameter).
    cov_type: 'nonrobust' (inverse observed information) or 'robust' (the sandwich) for bse,
    tvalues, pvalues, conf_int and summary. A Hessian at the optimum that is not positive
    definite gives a HessianNotPositiveDefiniteWarning and NaN covariances."""
    if cov_type not in ("nonrobust", "robust"):
        raise ValueError(f"fit: cov_type must be 'nonrobust' or 'robust', got {cov_type!r}")
    if cov_type == "robust" and per_observation is None:
        raise ValueError("fit: cov_type='robust' needs per_observation= (the vector of "
                         "per-observation negative log-likelihood terms)")
    args = tuple(args)
    names = _param_names(x0, ravel_pytree(x0)[0].size, param_names)
    res, flat, unravel, value, h = _optimum(negloglik, x0, args, method, tol, options, polish,
                                            "fit")
    cov, _ = _inverse_if_positive_definite(h, "fit")
    cov_robust = None
    if per_observation is not None:
        flat_terms = lambda z: per_observation(unravel(z), *args)
        terms = np.asarray(flat_terms(flat), dtype=float)
        if terms.ndim != 1:
            raise ValueError(f"fit: per_observation must return a vector, got shape "
                             f"{terms.shape}")
        total = float(np.sum(terms))
        if not np.isclose(total, value, rtol=1e-8, atol=1e-8):
            raise ValueError(f"fit: per_observation's terms sum to {total!r} but negloglik is "
                             f"{value!r} at the optimum; they must be the terms of its sum")
        if nobs is not None and nobs != terms.size:
            raise ValueError(f"fit: nobs={nobs} but per_observation returns {terms.size} terms")
        nobs = terms.size
        jac = np.asarray(jacfwd(flat_terms)(flat), dtype=float).reshape(terms.size, flat.size)
        cov_robust = cov @ (jac.T @ jac) @ cov  # NaN with cov
    return MLEResult(unravel(flat), flat, names, -value, nobs, h, cov, cov_robust, cov_type,
                     res, method)


class LaplaceResult:
    """The Laplace approximation N(mode, cov) of the density proportional to
    exp(-neg_log_joint), and its normalizing constant's logarithm, log_marginal."""

    def __init__(self, mode: PyTree, flat_mode: np.ndarray, cov: np.ndarray,
                 hessian: np.ndarray, log_marginal: float, param_names: List[str],
                 optimize_result: "scipy.optimize.OptimizeResult") -> None:
        self.mode = mode
        self.flat_mode = flat_mode
        self.cov = cov
        self.hessian = hessian
        self.log_marginal = log_marginal
        self.param_names = param_names
        self.optimize_result = optimize_result

    @property
    def std(self) -> np.ndarray:
        """The approximate posterior standard deviations (flat vector)."""
        return np.sqrt(np.diag(self.cov))

    def __repr__(self) -> str:
        return f"LaplaceResult(log_marginal={self.log_marginal:.6g}, k={self.flat_mode.size})"


def laplace(neg_log_joint: ScalarFun, x0: PyTree, args: Sequence[Any] = (),
            method: str = "trust-exact", *, param_names: Optional[Sequence[str]] = None,
            tol: Optional[float] = None, options: Optional[dict] = None,
            polish: int = 3) -> LaplaceResult:
    """The Laplace approximation of p(theta | data) ∝ exp(-neg_log_joint(theta, *args)):
    the mode (from x0, a pytree; found as in `fit`), cov = H^-1 (H the exact Hessian at the
    mode) and log_marginal = -f(mode) + k/2 log 2π - 1/2 log det H, the log of ∫ exp(-f)
    (the evidence when f is -log p(data, theta)). Exact for a Gaussian in theta. A Hessian that is not
    positive definite gives a HessianNotPositiveDefiniteWarning, and cov and log_marginal NaN."""
    args = tuple(args)
    names = _param_names(x0, ravel_pytree(x0)[0].size, param_names)
    res, flat, unravel, value, h = _optimum(neg_log_joint, x0, args, method, tol, options,
                                            polish, "laplace")
    cov, logdet = _inverse_if_positive_definite(h, "laplace")
    log_marginal = -value + 0.5 * flat.size * np.log(2.0 * np.pi) - 0.5 * logdet  # NaN with cov
    return LaplaceResult(unravel(flat), flat, cov, h, log_marginal, names, res)
