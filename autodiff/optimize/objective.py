"""Exact derivatives packaged for scipy.optimize: fun, jac, hess and hessp on flat vectors,
for functions of pytrees."""
from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt

from ..pytree import ravel_pytree
from ..staged_calls import staged, use_staging, _arrays_only
from ..transforms import value_and_grad, hessian, hvp_fn
from ..typing import PyTree, ScalarFun


class ScipyObjective:
    """f(params, *args) seen by scipy as a function of one flat vector.

    Value and gradient come from one forward pass and one reverse sweep, cached per iterate,
    so scipy's separate fun(x) and jac(x) calls at the same x cost one evaluation. hessp
    records the gradient once per iterate and answers each product with one reverse sweep.
    Counters: nfev (forward passes), nhev (Hessians), nhvp (Hessian-vector products).

    jit=True stages the derivatives with ad.jit across iterates: value and gradient, the
    Hessian, and the products (x, p) -> H(x) p of hvp_fn, each recorded after a few calls
    and replayed at every later iterate where that pays (timed), with the same numbers; f's
    Python runs once per recording (side effects in f happen then only). Array args are
    passed to the recordings (not frozen into them). None follows ad.shortcuts
    'staged_toolkit'; False never stages."""

    def __init__(self, f: ScalarFun, x0: PyTree, args: Sequence[Any] = (),
                 jit: Optional[bool] = None) -> None:
        self.f = f
        self.args = tuple(args)
        self.jit = use_staging(jit, "minimize")
        self.x0, self.unravel = ravel_pytree(x0)
        if self.x0.dtype.kind == "c":  # scipy's vectors are real: the imaginary parts would go
            raise TypeError("minimize: complex parameters are not supported; optimize their "
                            "real and imaginary parts as real parameters (docs/complex.md)")
        self.nfev = self.nhev = self.nhvp = 0
        self._x: Optional[np.ndarray] = None
        self._value: Any = None
        self._grad: Any = None
        self._hx: Optional[np.ndarray] = None
        self._hvp: Any = None  # the HVPFun at _hx
        self._flat_f: Callable[[np.ndarray], Any] = lambda z: f(self.unravel(z), *self.args)
        # the derivatives as functions of (x, *data): array data travel as arguments of the
        # recordings, other args are closed over
        self._data = self.args if _arrays_only(self.args) else ()
        closed = () if self._data else self.args
        flat = lambda z, *data: f(self.unravel(z), *data, *closed)  # noqa: E731
        self._value_and_grad = staged(value_and_grad(flat), self.jit, "minimize")
        self._hessian = staged(hessian(flat), self.jit, "minimize")
        # hessp: the whole product (x, p) -> H(x) p staged across iterates (a replay recomputes
        # the gradient, and still beats an unstaged hvp_fn made at each iterate)
        self._products = staged(lambda z, p, *data: hvp_fn(flat, z, args=data, jit=False)(p),
                                self.jit, "minimize", plain=self._hessp_at_iterate)

    def _at(self, x: npt.ArrayLike) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self._x is None or not np.array_equal(x, self._x):
            self._value, self._grad = self._value_and_grad(x, *self._data)
            self._x = x.copy()
            self.nfev += 1
        return x

    def fun(self, x: npt.ArrayLike) -> float:
        self._at(x)
        return float(self._value)

    def jac(self, x: npt.ArrayLike) -> np.ndarray:
        self._at(x)
        return np.array(self._grad, dtype=float)

    def fun_and_jac(self, x: npt.ArrayLike) -> Tuple[float, np.ndarray]:
        """(value, gradient) in one call (scipy's jac=True convention)."""
        return self.fun(x), self.jac(x)

    def hess(self, x: npt.ArrayLike) -> np.ndarray:
        self.nhev += 1
        return np.asarray(self._hessian(np.asarray(x, dtype=float), *self._data), dtype=float)

    def hessp(self, x: npt.ArrayLike, p: npt.ArrayLike) -> np.ndarray:
        self.nhvp += 1
        x, p = np.asarray(x, dtype=float), np.asarray(p, dtype=float)
        return np.asarray(self._products(x, p, *self._data), dtype=float)

    def _hessp_at_iterate(self, x: np.ndarray, p: np.ndarray, *data: Any) -> np.ndarray:
        """The unstaged product: hvp_fn recorded once per iterate, one sweep per product."""
        if self._hx is None or not np.array_equal(x, self._hx):
            self._hvp = hvp_fn(self._flat_f, x, jit=False)
            self._hx = x.copy()
        return self._hvp(p)


def scipy_objective(f: ScalarFun, x0: PyTree, args: Sequence[Any] = (),
                    jit: Optional[bool] = None) -> ScipyObjective:
    """`ScipyObjective` for f at the structure of x0 (a pytree). Use as
    `scipy.optimize.minimize(obj.fun, obj.x0, jac=obj.jac, hessp=obj.hessp, method=...)`,
    then `obj.unravel(result.x)` gives the parameters back in x0's structure. jit: see
    ScipyObjective."""
    return ScipyObjective(f, x0, args, jit)
