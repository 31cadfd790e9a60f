"""How traced values behave like NumPy arrays: Python operators and methods, and the NumPy
protocols `__array_ufunc__` / `__array_function__`, so that plain NumPy code such as
`np.sum(np.tanh(X @ w) ** 2)` is differentiable. Lookups are one dict access per call."""
import numpy as np

from ..core.primitive import Primitive
from ..core.tracer import Tracer, primal, bind
from ..primitives import elementwise as E, reductions as R, shape as S, products as P


def _unsupported(what):
    return NotImplementedError(
        f"{what} is not differentiable in autodiff yet (no rule for it). Rewrite it with "
        "supported functions (see autodiff.numpy), or apply it to autodiff.stop_gradient(x) "
        "if a constant is intended.")


def install(namespace, linalg_namespace):
    """Attach operators, methods and NumPy protocols to Tracer, mapping NumPy's functions to
    the differentiable ones of the `autodiff.numpy` namespace."""
    ufuncs, functions = {}, {}
    for name, fn in namespace.items():
        target = getattr(np, name, None)
        if isinstance(target, np.ufunc):
            ufuncs[target] = fn
        elif callable(target) and not isinstance(target, type):
            functions[target] = fn
    for name, fn in linalg_namespace.items():
        target = getattr(np.linalg, name, None)
        if callable(target):
            functions[target] = fn
    functions[np.max] = functions[np.amax] = namespace["amax"]
    functions[np.min] = functions[np.amin] = namespace["amin"]
    functions[np.abs] = ufuncs[np.absolute] = namespace["absolute"]
    reducers = {np.add: R.sum, np.maximum: R.amax, np.minimum: R.amin,
                np.multiply: namespace["prod"]}

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if kwargs.get("out") is not None:
            raise TypeError(f"numpy.{ufunc.__name__} with out=: in-place results are not "
                            "supported on traced values")
        kwargs.pop("out", None)
        if method == "__call__":
            fn = ufuncs.get(ufunc)
            if fn is None:
                raise _unsupported(f"numpy.{ufunc.__name__}")
            if kwargs:
                raise TypeError(f"numpy.{ufunc.__name__}: keyword arguments {sorted(kwargs)} "
                                "are not supported on traced values")
            return fn(*inputs)
        if method == "reduce" and ufunc in reducers:
            return reducers[ufunc](inputs[0], axis=kwargs.get("axis", 0),
                                   keepdims=kwargs.get("keepdims", False))
        if method == "accumulate" and ufunc is np.add:
            return R.cumsum(inputs[0], axis=kwargs.get("axis", 0))
        raise _unsupported(f"numpy.{ufunc.__name__}.{method}")

    def __array_function__(self, func, types, args, kwargs):
        fn = functions.get(func)
        if fn is None:
            raise _unsupported(f"{func.__module__}.{func.__name__}")
        return fn(*args, **kwargs)

    T = Tracer
    T.__array_ufunc__ = __array_ufunc__
    T.__array_function__ = __array_function__
    binary = {"add": E.add, "sub": E.subtract, "mul": E.multiply, "truediv": E.divide,
              "pow": E.power, "matmul": P.matmul}
    for name, prim in binary.items():
        setattr(T, f"__{name}__", _forward(prim))
        setattr(T, f"__r{name}__", _reflected(prim))
    T.__neg__ = lambda self: bind(E.negative, self)
    T.__pos__ = lambda self: self
    T.__abs__ = lambda self: bind(E.absolute, self)
    T.__mod__ = lambda self, other: namespace["mod"](self, other)
    T.__rmod__ = lambda self, other: namespace["mod"](other, self)
    T.__floordiv__ = lambda self, other: np.floor_divide(primal(self), primal(other))
    T.__rfloordiv__ = lambda self, other: np.floor_divide(primal(other), primal(self))
    for op in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(T, f"__{op}__", _comparison(op))
    T.__getitem__ = S.getitem
    T.__setitem__ = _setitem
    T.T = property(lambda self: S.transpose(self))
    T.mT = property(lambda self: P.swap_last(self))
    T.reshape = lambda self, *shape, order="C": S.reshape(self, *shape)
    T.transpose = lambda self, *axes: S.transpose(self, axes[0] if len(axes) == 1 and not
                                                  isinstance(axes[0], int) else (axes or None))
    T.astype = _astype
    T.copy = T.conj = T.conjugate = lambda self: self
    T.real = property(lambda self: self)
    T.dot = lambda self, other: namespace["dot"](self, other)
    for name in ("sum", "mean", "prod", "var", "std", "cumsum", "ravel", "squeeze",
                 "swapaxes", "clip", "flatten", "repeat", "diagonal", "trace", "take"):
        setattr(T, name, _method(namespace[name if name != "flatten" else "ravel"]))
    T.max = _method(R.amax)
    T.min = _method(R.amin)
    T.item = T.tolist = _no_item


def _forward(fn):
    if isinstance(fn, Primitive):  # the common case: skip one call layer
        return lambda self, other: bind(fn, self, other)
    return lambda self, other: fn(self, other)


def _reflected(fn):
    if isinstance(fn, Primitive):
        return lambda self, other: bind(fn, other, self)
    return lambda self, other: fn(other, self)


def _comparison(op):
    fn = getattr(np, {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
                      "eq": "equal", "ne": "not_equal"}[op])
    return lambda self, other: fn(primal(self), primal(other))


def _method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__doc__ = fn.__doc__
    return method


def _setitem(self, index, value):
    raise TypeError("traced values are immutable: `x[i] = v` is not supported. Build the new "
                    "array instead, e.g. with autodiff.numpy.where, concatenate or stack.")


def _no_item(self, *args):
    raise TypeError("x.item()/x.tolist() of a traced value would drop its derivative; index it "
                    "(x[0]) to keep a differentiable scalar, or use autodiff.stop_gradient(x).")


def _astype(self, dtype, **kwargs):
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        return np.asarray(primal(self)).astype(dtype)  # integers and bools carry no derivative
    return self if dtype == self.dtype else S.cast_p(self, dtype=dtype)
