"""The Hessian's spectrum without forming it: extreme eigenpairs (Lanczos, via scipy's eigsh),
the trace (Hutchinson) and the spectral density (stochastic Lanczos quadrature), as in
PyHessian; plus the condition number and the curvature along a direction."""
import warnings
from collections import namedtuple
from typing import Any, Callable, List, Optional, Tuple

import numpy as np

from .._optional import require, require_scipy
from ..progress import steps as progress_steps
from ..pytree import ravel_pytree
from ..typing import ArrayLike, PyTree, ScalarFun
from .operator import hessian_operator

PROBE_BLOCK = 10  # Hutchinson probes per batched product (the stopping rule needs 10 anyway)
DENSE_UP_TO = 20  # sizes at which the eigendecomposition of the formed Hessian is cheapest
# Whether the estimators stage their products with ad.jit by default (jit=None would follow
# ad.shortcuts 'staged_toolkit'): whole runs measured 0.6-1.2x with staging on against off
# (benchmarks/toolkit_jit.py, docs/performance.md): a run's products rarely repay a recording.
ESTIMATORS_STAGE = False
DENSE_FALLBACK_UP_TO = 5000  # sizes at which a Lanczos failure falls back on the formed Hessian


class TraceEstimate(namedtuple("TraceEstimate", "trace stderr samples")):
    """Hutchinson's estimate of tr H. Fields: `trace` (the mean of the samples z^T H z),
    `stderr` (its standard error; inf for one sample) and `samples` (how many probes were
    used: fewer than max_samples when the standard error reached tol first)."""
    __slots__ = ()


class Density(namedtuple("Density", "grid density nodes weights")):
    """The Hessian's eigenvalue density by stochastic Lanczos quadrature. Fields: `grid` (the
    eigenvalue axis) and `density` (the smoothed density on it, integrating to about 1);
    `nodes` and `weights` (the Ritz values of every probe and their quadrature weights, summing
    to 1: the density before smoothing). `.plot()` draws it (matplotlib)."""
    __slots__ = ()

    def __repr__(self) -> str:
        return (f"Density({self.nodes.size} nodes in [{self.nodes.min():.4g}, "
                f"{self.nodes.max():.4g}], density on a grid of {self.grid.size} points from "
                f"{self.grid[0]:.4g} to {self.grid[-1]:.4g}; fields grid, density, nodes, "
                "weights)")

    def plot(self, ax: Any = None, log: bool = True, **kwargs: Any) -> Any:
        """The density against the eigenvalue on `ax` (default: a new figure's), on a log scale
        (floored at 1e-7 of the peak) unless log=False; kwargs go to `ax.plot`. Returns ax."""
        if ax is None:
            plt = require("matplotlib.pyplot", None, "Density.plot", package="matplotlib")
            ax = plt.figure().add_subplot()
        if log:
            ax.semilogy(self.grid, np.maximum(self.density, 1e-7 * self.density.max()),
                        **kwargs)
        else:
            ax.plot(self.grid, self.density, **kwargs)
        ax.set_xlabel("eigenvalue")
        ax.set_ylabel("density")
        return ax


def _dense(op):
    return op.matmat(np.eye(op.shape[0]))


def _choose(vals, k, which):
    """The indices of the k eigenvalues of kind `which` among vals."""
    return {"LA": np.argsort(vals)[::-1][:k], "SA": np.argsort(vals)[:k],
            "LM": np.argsort(np.abs(vals))[::-1][:k], "SM": np.argsort(np.abs(vals))[:k]}[which]


def _dense_eigenpairs(op, k, which):
    """The k eigenpairs of kind `which` of the formed Hessian, and its largest eigenvalue."""
    vals, vecs = np.linalg.eigh(_dense(op))
    order = np.sort(_choose(vals, k, which))
    return vals[order], vecs[:, order], vals[-1]


def hessian_eigenvalues(f: ScalarFun, x: PyTree, k: int = 1, which: str = "LA", *,
                        args: Any = (), tol: float = 1e-3, maxiter: Optional[int] = None,
                        return_eigenvectors: bool = False, seed: int = 0,
                        executor: Any = None, jit: Optional[bool] = ESTIMATORS_STAGE) -> Any:
    """The k extreme eigenvalues of H(x): which='LA' largest, 'SA' smallest (algebraic), 'LM'
    largest in magnitude. Lanczos (ARPACK eigsh) on exact HVPs; for small n, a dense
    eigendecomposition. Eigenvalues ascending; eigenvectors (flat) as columns if asked.

    tol is relative to the largest |eigenvalue| (the Hessian's scale). 'SA' is found as the
    largest eigenvalues of lambda_max I - H: ARPACK's own 'SA' measures tol against each
    eigenvalue, which near a singular Hessian (a trained network's) is about 0 and can cost
    thousands of products. If Lanczos does not converge within maxiter, the eigenvalues that
    did are returned with a RuntimeWarning (fewer than k); if none did, the formed Hessian's
    (n <= 5000) with a warning, else a RuntimeError that says what to change. Lanczos takes
    one product at a time; an `executor` (see hessian_operator) computes the formed Hessian's
    columns when there is one (small n, or the fallback). jit=True stages the products with
    ad.jit (see hessian_operator; None follows ad.shortcuts 'staged_toolkit'); not by
    default, as a run's products rarely repay a recording (ESTIMATORS_STAGE)."""
    require_scipy()  # before any work: the error names the extra to install
    op = hessian_operator(f, x, args, executor=executor, jit=jit)
    n = op.shape[0]
    if which not in ("LA", "SA", "LM"):
        raise ValueError(f"which must be 'LA', 'SA' or 'LM', got {which!r}")
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and n = {n}, got {k}")
    vals, vecs, _ = eigenpairs(op, k, which, tol=tol, maxiter=maxiter, seed=seed)
    return (vals, vecs) if return_eigenvectors else vals


def eigenpairs(op: Any, k: int, which: str, *, tol: float = 1e-3,
               maxiter: Optional[int] = None, seed: int = 0) -> Tuple[Any, Any, Any]:
    """hessian_eigenvalues' work on a Hessian operator: (eigenvalues ascending, eigenvectors,
    the largest eigenvalue if it was found on the way, else None). 'SA' by Lanczos and the
    formed Hessian find it anyway, so a caller that wants both ends (classify_critical_point)
    pays for one 'SA' search, not two searches."""
    n = op.shape[0]
    if n <= max(2 * k + 1, DENSE_UP_TO):
        return _dense_eigenpairs(op, k, which)
    v0 = np.random.default_rng(seed).standard_normal(n)
    run = lambda k, which, shift=None: _lanczos_eigenpairs(require_scipy(), op, k, which, tol,
                                                           maxiter, v0, shift)
    top = None
    if which == "SA":
        top = float(run(1, "LA")[0][-1])
        vals, vecs = run(k, "LA", shift=top)
        vals = top - vals
    else:
        vals, vecs = run(k, which)
    order = np.argsort(vals)
    return vals[order], vecs[:, order], top


def _lanczos_eigenpairs(scipy, op, k, which, tol, maxiter, v0, shift=None):
    """eigsh's k eigenpairs of op (the Hessian), or of shift I - op if a shift is given; on no
    convergence, what converged or the dense answer, with a warning -- never ARPACK's error."""
    linalg = scipy.sparse.linalg
    A = op
    if shift is not None:
        def shifted(v):
            v = np.asarray(v).ravel()
            return shift * v - op.matvec(v)
        A = linalg.LinearOperator(op.shape, matvec=shifted, dtype=float)
    try:
        return linalg.eigsh(A, k=k, which=which, tol=tol, maxiter=maxiter, v0=v0)
    except linalg.ArpackNoConvergence as error:
        got, n = len(error.eigenvalues), op.shape[0]
        why = (f"Lanczos (ARPACK) did not converge to tol={tol:g} within maxiter={maxiter} "
               "(clustered extreme eigenvalues, as at a minimum that fits its data exactly)")
        if got:
            warnings.warn(f"hessian_eigenvalues: {why}: returning the {got} of the k={k} "
                          "eigenvalues that converged; pass a larger tol or maxiter for all",
                          RuntimeWarning, stacklevel=4)
            return np.asarray(error.eigenvalues), np.asarray(error.eigenvectors)
        if n > DENSE_FALLBACK_UP_TO:
            raise RuntimeError(f"hessian_eigenvalues: {why}, and no eigenvalue converged; pass "
                               "a larger tol (e.g. 1e-2) or maxiter") from None
        warnings.warn(f"hessian_eigenvalues: {why}: no eigenvalue converged, so they come "
                      f"from the formed Hessian ({n} x {n}) instead", RuntimeWarning,
                      stacklevel=4)
        if shift is not None:  # the top eigenpairs of shift I - H are H's bottom ones
            vals, vecs, _ = _dense_eigenpairs(op, k, "SA")
            return shift - vals, vecs
        return _dense_eigenpairs(op, k, which)[:2]


def hessian_trace(f: ScalarFun, x: PyTree, args: Any = (), *, max_samples: int = 100,
                  tol: float = 1e-3, seed: int = 0, num_samples: Optional[int] = None,
                  chunk_size: Optional[int] = None, executor: Any = None,
                  jit: Optional[bool] = ESTIMATORS_STAGE) -> TraceEstimate:
    """Hutchinson's estimate of tr H(x) = E[z^T H z] for Rademacher z, stopping once the
    standard error falls below tol * |estimate| (10 samples at least), or after max_samples
    products (tol=0: exactly max_samples). The probes are drawn and multiplied PROBE_BLOCK at a
    time (one batched sweep); the stopping rule is applied one sample at a time, so a block's
    extra samples are dropped, not counted. Returns TraceEstimate(trace, stderr, samples).
    With an `executor` (see hessian_operator), each block's products run on its workers,
    `chunk_size` probes per task (e.g. 5 for two workers: the default puts a block in one).
    jit=True stages the blocks' products (as in hessian_eigenvalues: not by default).
    num_samples is the deprecated name of max_samples."""
    if num_samples is not None:
        warnings.warn("hessian_trace: num_samples is deprecated, it is the most samples drawn "
                      "(fewer once the standard error reaches tol): use max_samples",
                      DeprecationWarning, stacklevel=2)
        max_samples = num_samples
    num_samples = max_samples
    op = hessian_operator(f, x, args, chunk_size=chunk_size, executor=executor, jit=jit)
    rng = np.random.default_rng(seed)
    values: List[float] = []
    blocks = progress_steps(range(-(-num_samples // PROBE_BLOCK)), "hessian_trace: probes",
                            unit="block")
    for _ in blocks:
        Z = np.column_stack([rng.choice([-1.0, 1.0], size=op.shape[0])
                             for _ in range(min(PROBE_BLOCK, num_samples - len(values)))])
        for value in np.einsum("ij,ij->j", Z, op.matmat(Z)):
            values.append(float(value))
            if _precise_enough(values, tol):
                break
        if len(values) >= num_samples or _precise_enough(values, tol):
            break
    blocks.close()  # (stopped early: the report ends here)
    stderr = np.std(values, ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.inf
    return TraceEstimate(float(np.mean(values)), float(stderr), len(values))


def _precise_enough(values, tol):
    """Hutchinson's stopping rule: 10 samples at least, and a standard error <= tol * |mean|."""
    return len(values) >= 10 and (np.std(values, ddof=1) / np.sqrt(len(values))
                                  <= tol * abs(np.mean(values)))


def lanczos(matvec: Callable[[np.ndarray], Any], v0: ArrayLike, steps: int) -> Tuple[Any, Any]:
    """`steps` Lanczos iterations with full reorthogonalization: the tridiagonal (alpha, beta)
    of the Krylov space of v0. Stops early on an invariant subspace."""
    v0 = np.asarray(v0)
    alphas, betas = lanczos_block(lambda Q: np.asarray(matvec(Q[:, 0]))[:, None],
                                   v0.reshape(-1, 1), steps)
    return alphas[0], betas[0]


def lanczos_block(matmat: Callable[[np.ndarray], Any], V0: np.ndarray,
                  steps: int) -> Tuple[List[Any], List[Any]]:
    """`lanczos` run on each column of V0 (n, k) in lockstep: k independent recurrences, each
    step multiplying H by all the still-running vectors at once (matmat: (n, j) -> H times
    them). Returns the list of the k alphas and that of the k betas; each column stops early
    on its own invariant subspace."""
    n, k = V0.shape
    m = min(steps, n)
    Q = np.zeros((k, m, n))
    alphas: List[List[float]] = [[] for _ in range(k)]
    betas: List[List[float]] = [[] for _ in range(k)]
    active = list(range(k))
    q = V0 / np.linalg.norm(V0, axis=0)
    iterations = progress_steps(range(m), f"Lanczos: {k} vector{'s' * (k > 1)}")
    for j in iterations:
        W = matmat(q)
        running, next_q = [], []
        for c, i in enumerate(active):
            Q[i, j] = q[:, c]
            w, basis = W[:, c], Q[i, :j + 1]
            a = float(q[:, c] @ w)
            w = w - basis.T @ (basis @ w)  # full reorthogonalization (twice is enough)
            w = w - basis.T @ (basis @ w)
            alphas[i].append(a)
            b = float(np.linalg.norm(w))
            if b < 1e-10 or j == m - 1:
                continue
            betas[i].append(b)
            running.append(i)
            next_q.append(w / b)
        if not running:
            break
        active, q = running, np.column_stack(next_q)
    iterations.close()
    return [np.array(a) for a in alphas], [np.array(b) for b in betas]


def spectral_density(f: ScalarFun, x: PyTree, args: Any = (), *, num_steps: int = 100,
                     num_probes: int = 1, sigma: Optional[float] = None,
                     grid_size: int = 1000, seed: int = 0, chunk_size: Optional[int] = None,
                     executor: Any = None, jit: Optional[bool] = ESTIMATORS_STAGE) -> Density:
    """The eigenvalue density of H(x) by stochastic Lanczos quadrature: per random probe, the
    Ritz values of `num_steps` Lanczos steps weighted by the squared first components of their
    eigenvectors, smoothed by Gaussians of width sigma (default: 1% of the spectral range).
    The probes' Lanczos runs go in lockstep (one batched product per step), so their
    num_probes Krylov bases of num_steps x n are held at once.
    With an `executor` (see hessian_operator), each step's products run on its workers,
    `chunk_size` probes per task (one probe: its products stay in this process). jit=True
    stages the Lanczos steps' products (as in hessian_eigenvalues: not by default).
    Returns Density(grid, density, nodes, weights); the density integrates to about 1."""
    op = hessian_operator(f, x, args, chunk_size=chunk_size, executor=executor, jit=jit)
    rng = np.random.default_rng(seed)
    probes = np.column_stack([rng.standard_normal(op.shape[0]) for _ in range(num_probes)])
    # for one probe, the recorded gradient's matvec is cheaper than a batched sweep
    products = op.matmat if num_probes > 1 else (lambda Q: op.matvec(Q[:, 0])[:, None])
    ritz, quadrature = [], []
    for alpha, beta in zip(*lanczos_block(products, probes, num_steps)):
        T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
        theta, S = np.linalg.eigh(T)
        ritz.append(theta)
        quadrature.append(S[0] ** 2 / num_probes)
    nodes, weights = np.concatenate(ritz), np.concatenate(quadrature)
    lo, hi = nodes.min(), nodes.max()
    span = max(hi - lo, 1e-12 * max(1.0, abs(hi)))
    sigma = sigma or 0.01 * span
    grid = np.linspace(lo - 5 * sigma, hi + 5 * sigma, grid_size)
    kernel = np.exp(-0.5 * ((grid[:, None] - nodes[None, :]) / sigma) ** 2)
    density = kernel @ weights / (sigma * np.sqrt(2 * np.pi))
    return Density(grid, density, nodes, weights)


def condition_number(f: ScalarFun, x: PyTree, args: Any = (), *,
                     executor: Any = None) -> float:
    """|lambda|max / |lambda|min of H(x) (inf if singular). Dense for n <= 200, else Lanczos
    for the largest and the smallest eigenvalues in magnitude (the latter converges slowly).
    An `executor` (see hessian_operator) computes the formed Hessian's columns (n <= 200, or
    a Lanczos fallback); Lanczos itself takes one product at a time, in this process."""
    op = hessian_operator(f, x, args, executor=executor,
                          jit=ESTIMATORS_STAGE)
    if op.shape[0] <= 200:
        vals = np.abs(np.linalg.eigvalsh(_dense(op)))
    else:  # no convergence: what converged or the formed Hessian, as hessian_eigenvalues
        scipy, v0 = require_scipy(), np.random.default_rng(0).standard_normal(op.shape[0])
        vals = np.abs(np.concatenate([_lanczos_eigenpairs(scipy, op, 1, w, 0, None, v0)[0]
                                      for w in ("LM", "SM")]))
    return float(np.inf if vals.min() == 0 else vals.max() / vals.min())


def curvature_along(f: ScalarFun, x: PyTree, direction: PyTree, args: Any = ()) -> float:
    """d^T H(x) d / d^T d: the second derivative of f along the direction d (a pytree like x
    or a flat vector)."""
    d = ravel_pytree(direction)[0] if not isinstance(direction, np.ndarray) or \
        direction.ndim != 1 else direction
    op = hessian_operator(f, x, args)
    d = np.asarray(d, dtype=float).reshape(op.shape[0])
    return float(d @ op.matvec(d) / (d @ d))
