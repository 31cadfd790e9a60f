"""What kind of point is x? Gradient norm and extreme Hessian eigenvalues give the verdict; at
a saddle, the most negative curvature direction is the way out."""
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .._optional import require_scipy
from ..pytree import ravel_pytree
from ..transforms import value_and_grad
from ..typing import PyTree, ScalarFun
from .operator import hessian_operator
from .spectrum import ESTIMATORS_STAGE, eigenpairs, hessian_eigenvalues


@dataclass
class CriticalPoint:
    """The classification of a point: verdict is 'minimum', 'maximum', 'saddle', 'degenerate'
    (a zero eigenvalue within tol and no negative/positive pair) or 'not critical'."""
    verdict: str
    grad_norm: float
    min_eigenvalue: float
    max_eigenvalue: float
    tol: float
    grad_tol: float
    min_eigenvector: np.ndarray  # flat; the direction of most negative curvature

    def __str__(self) -> str:
        return (f"{self.verdict}: |grad| = {self.grad_norm:.3g}, eigenvalues in "
                f"[{self.min_eigenvalue:.6g}, {self.max_eigenvalue:.6g}] (tol {self.tol:g})")


def classify_critical_point(f: ScalarFun, x: PyTree, args: Any = (), *, tol: float = 1e-6,
                            grad_tol: float = 1e-6, executor: Any = None,
                            jit: Optional[bool] = ESTIMATORS_STAGE) -> CriticalPoint:
    """Classify x for f(x, *args): the gradient's norm decides whether x is critical (grad_tol);
    the smallest and largest Hessian eigenvalues, compared with +-tol, decide the kind. They
    come from one search for the smallest (hessian_eigenvalues' 'SA' finds the largest on the
    way); `executor` and `jit` are hessian_eigenvalues'."""
    flat, unravel = ravel_pytree(x)
    _, g = value_and_grad(lambda z: f(unravel(z), *args))(flat)
    grad_norm = float(np.linalg.norm(g))
    require_scipy()
    op = hessian_operator(f, x, args, executor=executor, jit=jit)
    lo, v_lo, hi = eigenpairs(op, 1, "SA")
    lo, hi = float(lo[0]), float(hi)
    if grad_norm > grad_tol:
        verdict = "not critical"
    elif lo > tol:
        verdict = "minimum"
    elif hi < -tol:
        verdict = "maximum"
    elif lo < -tol and hi > tol:
        verdict = "saddle"
    else:
        verdict = "degenerate"
    return CriticalPoint(verdict, grad_norm, lo, hi, tol, grad_tol, v_lo[:, 0])


def escape_saddle(f: ScalarFun, x: PyTree, args: Any = (), *, step: Optional[float] = None,
                  max_halvings: int = 30, executor: Any = None,
                  jit: Optional[bool] = ESTIMATORS_STAGE) -> PyTree:
    """A point that decreases f, moved from x along the direction of most negative curvature
    (sign chosen downhill). The step starts at `step` (default: 1 scaled by |x|+1) and is
    halved until f decreases. Returns x's structure; raises if there is no negative curvature.
    `executor` and `jit` are hessian_eigenvalues'."""
    flat, unravel = ravel_pytree(x)
    lam, vec = hessian_eigenvalues(f, x, k=1, which="SA", args=args, return_eigenvectors=True,
                                   executor=executor, jit=jit)
    if lam[0] >= 0:
        raise ValueError(f"no negative curvature at x (smallest eigenvalue {lam[0]:.3g}): "
                         "there is no saddle direction to escape along")
    d = vec[:, 0]
    fun = lambda z: float(f(unravel(z), *args))
    _, g = value_and_grad(lambda z: f(unravel(z), *args))(flat)
    if g @ d > 0:
        d = -d
    f0 = fun(flat)
    alpha = step if step is not None else 1.0 + float(np.linalg.norm(flat))
    for _ in range(max_halvings):
        candidate = flat + alpha * d
        if fun(candidate) < f0:
            return unravel(candidate)
        alpha /= 2
    raise RuntimeError("escape_saddle: no step along the negative-curvature direction "
                       "decreased f")
