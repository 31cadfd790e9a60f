"""The Hessian's spectrum without forming it: extreme eigenpairs (Lanczos, via scipy's eigsh),
the trace (Hutchinson) and the spectral density (stochastic Lanczos quadrature), as in
PyHessian; plus the condition number and the curvature along a direction."""
from collections import namedtuple

import numpy as np

from ..optimize._scipy import require_scipy
from ..pytree import ravel_pytree
from .operator import hessian_operator

TraceEstimate = namedtuple("TraceEstimate", "trace stderr samples")
Density = namedtuple("Density", "grid density nodes weights")


def _dense(op):
    return op.matmat(np.eye(op.shape[0]))


def hessian_eigenvalues(f, x, k=1, which="LA", args=(), tol=1e-3, maxiter=None,
                        return_eigenvectors=False, seed=0):
    """The k extreme eigenvalues of H(x): which='LA' largest, 'SA' smallest (algebraic), 'LM'
    largest in magnitude. Lanczos (ARPACK eigsh) on exact HVPs; for small n, a dense
    eigendecomposition. Eigenvalues ascending; eigenvectors (flat) as columns if asked."""
    scipy = require_scipy()
    op = hessian_operator(f, x, args)
    n = op.shape[0]
    if which not in ("LA", "SA", "LM"):
        raise ValueError(f"which must be 'LA', 'SA' or 'LM', got {which!r}")
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and n = {n}, got {k}")
    if n <= max(2 * k + 1, 20):
        vals, vecs = np.linalg.eigh(_dense(op))
        order = {"LA": np.argsort(vals)[::-1][:k], "SA": np.argsort(vals)[:k],
                 "LM": np.argsort(np.abs(vals))[::-1][:k]}[which]
        order = np.sort(order)
        vals, vecs = vals[order], vecs[:, order]
    else:
        v0 = np.random.default_rng(seed).standard_normal(n)
        vals, vecs = scipy.sparse.linalg.eigsh(op, k=k, which=which, tol=tol, maxiter=maxiter,
                                               v0=v0)
        order = np.argsort(vals)
        vals, vecs = vals[order], vecs[:, order]
    return (vals, vecs) if return_eigenvectors else vals


def hessian_trace(f, x, args=(), num_samples=100, tol=1e-3, seed=0):
    """Hutchinson's estimate of tr H(x) = E[z^T H z] for Rademacher z, stopping once the
    standard error falls below tol * |estimate| (or after num_samples products).
    Returns TraceEstimate(trace, stderr, samples)."""
    op = hessian_operator(f, x, args)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(num_samples):
        z = rng.choice([-1.0, 1.0], size=op.shape[0])
        values.append(float(z @ op.matvec(z)))
        if len(values) >= 10:
            stderr = np.std(values, ddof=1) / np.sqrt(len(values))
            if stderr <= tol * abs(np.mean(values)):
                break
    stderr = np.std(values, ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.inf
    return TraceEstimate(float(np.mean(values)), float(stderr), len(values))


def lanczos(matvec, v0, steps):
    """`steps` Lanczos iterations with full reorthogonalization: the tridiagonal (alpha, beta)
    of the Krylov space of v0. Stops early on an invariant subspace."""
    n = v0.size
    Q = np.zeros((min(steps, n), n))
    alpha, beta = [], []
    q = v0 / np.linalg.norm(v0)
    for j in range(min(steps, n)):
        Q[j] = q
        w = matvec(q)
        a = float(q @ w)
        w = w - Q[:j + 1].T @ (Q[:j + 1] @ w)  # full reorthogonalization (twice is enough)
        w = w - Q[:j + 1].T @ (Q[:j + 1] @ w)
        alpha.append(a)
        b = float(np.linalg.norm(w))
        if b < 1e-10 or j == min(steps, n) - 1:
            break
        beta.append(b)
        q = w / b
    return np.array(alpha), np.array(beta)


def spectral_density(f, x, args=(), num_steps=100, num_probes=1, sigma=None, grid_size=1000,
                     seed=0):
    """The eigenvalue density of H(x) by stochastic Lanczos quadrature: per random probe, the
    Ritz values of `num_steps` Lanczos steps weighted by the squared first components of their
    eigenvectors, smoothed by Gaussians of width sigma (default: 1% of the spectral range).
    Returns Density(grid, density, nodes, weights); the density integrates to about 1."""
    op = hessian_operator(f, x, args)
    rng = np.random.default_rng(seed)
    nodes, weights = [], []
    for _ in range(num_probes):
        alpha, beta = lanczos(op.matvec, rng.standard_normal(op.shape[0]), num_steps)
        T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
        theta, S = np.linalg.eigh(T)
        nodes.append(theta)
        weights.append(S[0] ** 2 / num_probes)
    nodes, weights = np.concatenate(nodes), np.concatenate(weights)
    lo, hi = nodes.min(), nodes.max()
    span = max(hi - lo, 1e-12 * max(1.0, abs(hi)))
    sigma = sigma or 0.01 * span
    grid = np.linspace(lo - 5 * sigma, hi + 5 * sigma, grid_size)
    kernel = np.exp(-0.5 * ((grid[:, None] - nodes[None, :]) / sigma) ** 2)
    density = kernel @ weights / (sigma * np.sqrt(2 * np.pi))
    return Density(grid, density, nodes, weights)


def condition_number(f, x, args=()):
    """|lambda|max / |lambda|min of H(x) (inf if singular). Dense for n <= 200, else Lanczos
    for the largest and the smallest eigenvalues in magnitude (the latter converges slowly)."""
    op = hessian_operator(f, x, args)
    if op.shape[0] <= 200:
        vals = np.abs(np.linalg.eigvalsh(_dense(op)))
    else:
        eigsh = require_scipy().sparse.linalg.eigsh
        vals = np.abs(np.concatenate([eigsh(op, k=1, which=w, return_eigenvectors=False)
                                      for w in ("LM", "SM")]))
    return float(np.inf if vals.min() == 0 else vals.max() / vals.min())


def curvature_along(f, x, direction, args=()):
    """d^T H(x) d / d^T d: the second derivative of f along the direction d (a pytree like x
    or a flat vector)."""
    d = ravel_pytree(direction)[0] if not isinstance(direction, np.ndarray) or \
        direction.ndim != 1 else direction
    op = hessian_operator(f, x, args)
    d = np.asarray(d, dtype=float).reshape(op.shape[0])
    return float(d @ op.matvec(d) / (d @ d))
