"""Newton's method with the exact Hessian, kept a descent method where the Hessian is not
positive definite (Nocedal & Wright, 3.4: eigenvalues replaced by their absolute values, floored
at a small multiple of the largest), with a backtracking Armijo line search."""
from typing import Any, Callable, Optional, Tuple

import numpy as np
import numpy.typing as npt

from .objective import ScipyObjective


def modified_newton_direction(H: np.ndarray, g: np.ndarray, floor: float = 1e-8) -> np.ndarray:
    """-B^-1 g for B = H with eigenvalues |lambda| clipped below at floor * max|lambda|:
    a descent direction, equal to the Newton step wherever H is comfortably positive definite."""
    lam, Q = np.linalg.eigh((H + H.T) / 2)
    scale = max(np.max(np.abs(lam)), 1e-300)
    lam = np.maximum(np.abs(lam), floor * scale)
    return -Q @ ((Q.T @ g) / lam)


NEWTON_OPTIONS = ("gtol", "xtol", "maxiter", "c1", "disp")  # disp: printed by minimize


def newton(obj: ScipyObjective, x0: npt.ArrayLike, gtol: float = 1e-8, xtol: float = 1e-12,
           maxiter: int = 100, c1: float = 1e-4,
           callback: Optional[Callable[[np.ndarray], Any]] = None
           ) -> Tuple[np.ndarray, float, np.ndarray, int, bool, str]:
    """Minimize obj (a ScipyObjective) from the flat vector x0: stop when the gradient's largest
    entry is at most gtol, or a step moves x by at most xtol relative to |x| (the gradient can
    be stuck above gtol at rounding level for badly scaled problems). Returns (x, f, g, nit,
    success, message)."""
    x = np.array(x0, dtype=float)
    f, g = obj.fun_and_jac(x)
    for nit in range(maxiter + 1):
        if np.max(np.abs(g), initial=0.0) <= gtol:
            return x, f, g, nit, True, "Optimization terminated successfully (gradient below gtol)."
        if nit == maxiter:
            break
        p = modified_newton_direction(obj.hess(x), g)
        slope = g @ p
        step = 1.0
        while True:
            x_new = x + step * p
            f_new = obj.fun(x_new)
            if np.isfinite(f_new) and f_new <= f + c1 * step * slope:
                break
            step *= 0.5
            if step < 1e-16:
                return x, f, g, nit, False, "Line search failed to decrease the function."
        moved = np.linalg.norm(x_new - x)
        x, f, g = x_new, f_new, obj.jac(x_new)
        if callback is not None:
            callback(x)
        if moved <= xtol * (1.0 + np.linalg.norm(x)):
            return x, f, g, nit + 1, True, "Optimization terminated successfully (step below xtol)."
    return x, f, g, maxiter, False, "Maximum number of iterations reached."
