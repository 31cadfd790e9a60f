"""How traced values behave like NumPy arrays: Python operators and methods, and the NumPy
protocols `__array_ufunc__` / `__array_function__`, so that plain NumPy code such as
`np.sum(np.tanh(X @ w) ** 2)` is differentiable. Lookups are one dict access per call."""
import inspect
import sys

import numpy as np

from ..core.tracer import ops
from .at import IndexUpdates
from .names import SERVED
from ..primitives import elementwise as E, shape as S, products as P, complex as C
from .keywords import cast, no_out, refuse, ufunc_inputs
from .nondiff import strip
from .functions import _as_array


def _unsupported(what):
    return NotImplementedError(
        f"{what} is not differentiable in autodiff yet (no rule for it). Rewrite it with "
        "supported functions (see autodiff.numpy and autodiff.scipy.special), or apply it to "
        "autodiff.stop_gradient(x) if a constant is intended.")


def install(namespace, linalg_namespace, fft_namespace):
    """Fill the table of traced values' operators, methods and NumPy protocols (`ops`, see
    core/tracer.py), mapping NumPy's functions to the differentiable ones of the
    `autodiff.numpy` namespace, and scipy.special's ufuncs to those serving them."""
    ufuncs, functions, constant = {}, {}, set()  # constant: ufuncs run on plain values
    for name, fn in namespace.items():
        target = getattr(np, name, None)
        if isinstance(target, np.ufunc):
            if getattr(fn, "nondiff", False):
                ufuncs[target] = fn
                constant.add(target)
            else:
                ufuncs[target] = fn.differentiable
        elif callable(target) and not isinstance(target, type):
            functions[target] = fn
    for module, names in ((np.linalg, linalg_namespace), (np.fft, fft_namespace)):
        for name, fn in names.items():
            target = getattr(module, name, None)
            if callable(target):
                functions[target] = fn
    functions[np.max] = functions[np.amax] = namespace["amax"]
    functions[np.min] = functions[np.amin] = namespace["amin"]
    functions[np.abs] = namespace["absolute"]
    ufuncs[np.absolute] = namespace["absolute"].differentiable
    reducers = {"reduce": {np.add: namespace["sum"], np.maximum: namespace["amax"],
                           np.minimum: namespace["amin"], np.multiply: namespace["prod"]},
                "accumulate": {np.add: namespace["cumsum"], np.multiply: namespace["cumprod"]}}
    accepts = KeywordCheck()

    def array_ufunc(ufunc, method, *inputs, **kwargs):
        # a list or tuple input (np.add(x, [y, z])) is read as NumPy reads it, keeping the
        # traced values it holds (np.asarray would refuse them)
        for i in inputs:  # (a loop, not a generator: this runs at every ufunc call)
            if type(i) is list or type(i) is tuple:
                inputs = tuple([_as_array(a) if type(a) is list or type(a) is tuple else a
                                for a in inputs])
                break
        fn = ufuncs.get(ufunc)
        if fn is None:
            fn = ufuncs[ufunc] = _special_ufunc(ufunc)
        if method == "__call__":
            if kwargs:
                if ufunc in constant:  # NumPy's own keywords, out= included, on plain values
                    return fn(*inputs, **kwargs)
                inputs = ufunc_inputs(ufunc.__name__, inputs, kwargs)
            return fn(*inputs)
        if ufunc in constant:  # reduce, accumulate, outer, at of a constant ufunc: plain values
            return getattr(ufunc, method)(*strip(inputs), **kwargs)
        reduce = reducers.get(method, {}).get(ufunc)
        if reduce is not None:
            name = f"{ufunc.__name__}.{method}"
            out = kwargs.pop("out", None)  # NumPy passes out= as a tuple here
            no_out(name, out[0] if isinstance(out, tuple) else out)
            accepts(name, reduce, kwargs, np.add.reduce if method == "reduce" else None)
            return reduce(inputs[0], **dict({"axis": 0}, **kwargs))
        if method == "outer":
            a, b = inputs
            no_out(f"{ufunc.__name__}.outer", kwargs.pop("out", None))
            a, b = ufunc_inputs(f"{ufunc.__name__}.outer", [a, b], kwargs)
            return fn(S.reshape(a, S.shape_of(a) + (1,) * len(S.shape_of(b))), b)
        raise _unsupported(f"numpy.{ufunc.__name__}.{method}")

    def array_function(func, types, args, kwargs):
        fn = functions.get(func)
        if fn is None:
            raise _unsupported(f"{func.__module__}.{func.__name__}")
        if kwargs:
            accepts(_numpy_name(func), fn, kwargs, func)
        return fn(*args, **kwargs)

    ops.array_ufunc, ops.array_function = array_ufunc, array_function
    ops.as_array = _as_array
    ops.add, ops.subtract, ops.multiply = E.add, E.subtract, E.multiply
    ops.divide, ops.power, ops.negative = E.divide, E.power, E.negative
    ops.absolute, ops.real, ops.imag = E.absolute, C.real, C.imag
    ops.matmul, ops.mod = P.matmul, namespace["mod"].differentiable
    ops.getitem, ops.transpose, ops.matrix_transpose = S.getitem, S.transpose, P.swap_last
    ops.at = IndexUpdates
    methods = {name: namespace[name] for name in (
        "sum", "mean", "prod", "var", "std", "cumsum", "cumprod", "ravel", "squeeze", "swapaxes",
        "clip", "repeat", "diagonal", "trace", "take", "dot", "max", "min", "argmax", "argmin",
        "argsort", "nonzero", "round", "all", "any")}
    methods = {name: _method(name, fn, accepts) for name, fn in methods.items()}
    methods["flatten"] = lambda self, order="C": namespace["ravel"](self, order)
    methods["reshape"] = _method("reshape", _reshape_method(namespace["reshape"]), accepts)
    methods["transpose"] = lambda self, *axes: S.transpose(
        self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else (axes or None))
    methods["astype"] = _method("astype", _astype, accepts)
    methods["copy"] = _method("copy", lambda self, order="C": self, accepts)
    methods["conj"] = methods["conjugate"] = C.conj
    methods["item"] = methods["tolist"] = _no_item
    ops.define_methods(methods)


def _special_ufunc(ufunc):
    """The function serving a ufunc of scipy.special (looked up when first met: autodiff does
    not import scipy itself), or an error naming the ufunc by its module."""
    name = ufunc.__name__
    special = sys.modules.get("scipy.special")
    if special is not None and getattr(special, name, None) is ufunc:
        fn = SERVED.get("scipy.special." + name)
        if fn is None:
            raise _unsupported(f"scipy.special.{name}")
        return fn
    module = "numpy" if getattr(np, name, None) is ufunc else type(ufunc).__module__
    raise _unsupported(f"{module}.{name}")


class KeywordCheck:
    """Refuses, by name, a keyword an autodiff function does not take, instead of Python's bare
    "unexpected keyword argument" (the keywords each function takes are read once)."""

    def __init__(self):
        self.known = {}

    def __call__(self, fname, fn, kwargs, numpy_fn=None, method=False):
        names = self.known.get((fn, method), False)
        if names is False:
            names = self.known[fn, method] = _keyword_names(fn, skip_first=method)
        if names is None:
            return
        for k in kwargs:
            if k not in names:
                numpy_names = _keyword_names(numpy_fn) if numpy_fn is not None else None
                if numpy_names is None:
                    why = "it takes " + ", ".join(sorted(names))
                elif k in numpy_names:
                    why = "it is not implemented for traced values"
                else:
                    why = f"np.{fname} has no such keyword"
                raise refuse(fname, k, why)


def _keyword_names(fn, skip_first=False):
    """The keywords fn takes by name (None: any, or unknown); skip_first for a method's self."""
    try:
        params = list(inspect.signature(fn).parameters.values())[1 if skip_first else 0:]
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def _numpy_name(func):
    module = func.__module__ or ""
    return ("linalg." if "linalg" in module else "fft." if "fft" in module else "") + \
        func.__name__


def _reshape_method(reshape):
    def method(self, *shape, order="C", copy=None):
        """x.reshape(2, 3) or x.reshape((2, 3)), in C or Fortran order."""
        return reshape(self, shape[0] if len(shape) == 1 else shape, order=order, copy=copy)
    return method


def _method(name, fn, accepts):
    """x.<name>(...) as fn(x, ...), refusing unknown keywords by name."""
    numpy_method = getattr(np.ndarray, name, None)

    def method(self, *args, **kwargs):
        if kwargs:
            accepts(f"ndarray.{name}", fn, kwargs, numpy_method, method=True)
        return fn(self, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = fn.__doc__
    return method


def _no_item(self, *args):
    raise TypeError("x.item()/x.tolist() of a traced value would drop its derivative; index it "
                    "(x[0]) to keep a differentiable scalar, or use autodiff.stop_gradient(x).")


def _astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
    """x.astype: a float dtype keeps the derivative, integers and bools drop it (order, subok
    and copy have no effect on an immutable traced value)."""
    return cast(self, dtype, "ndarray.astype", casting)
