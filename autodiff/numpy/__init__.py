"""`autodiff.numpy`: a NumPy-like namespace of differentiable functions.

    import autodiff.numpy as anp
    def f(x): return anp.sum(anp.tanh(x) ** 2)

Plain NumPy code works too (traced values implement NumPy's dispatch protocols); this namespace
is where the differentiable functions live. Names it does not define fall through to NumPy
(constants, dtypes, array constructors such as zeros, ones, eye, arange, linspace); applied to a
traced value, an unsupported NumPy function raises NotImplementedError naming it.
"""
import numpy as _np

from ..primitives import elementwise as _E, reductions as _R, shape as _S, products as _P
from . import functions as _F, keywords as _K, linalg, nondiff as _N
from .dispatch import install as _install

ELEMENTWISE = [
    "add", "subtract", "multiply", "divide", "negative", "reciprocal", "square", "power", "exp",
    "expm1", "exp2", "log", "log1p", "log2", "log10", "sqrt", "cbrt", "logaddexp", "sin", "cos",
    "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
    "arctan2", "hypot", "absolute", "maximum", "minimum", "where", "clip",
]
REDUCTIONS = ["sum", "amax", "amin", "cumsum"]
SHAPE = ["reshape", "transpose", "broadcast_to", "concatenate"]
PRODUCTS = ["matmul", "einsum"]
COMPOSED = [
    "mean", "var", "std", "prod", "swapaxes", "moveaxis", "expand_dims", "squeeze", "ravel",
    "atleast_1d", "atleast_2d", "stack", "hstack", "vstack", "flip", "take", "roll", "repeat",
    "tile", "sort", "take_along_axis", "dot", "vdot", "inner", "outer", "tensordot",
    "diagonal", "trace", "diag", "array", "asarray", "mod", "positive", "diff", "tril", "triu",
    "pad", "ptp", "average", "median", "split", "trapezoid", "cumprod", "kron", "cross",
    "deg2rad", "rad2deg", "convolve", "interp",
]

# these keep NumPy's full signatures (keywords such as dtype, where, initial, order) in functions.py
NUMPY_SIGNATURES = ["sum", "amax", "amin", "cumsum", "reshape", "transpose", "broadcast_to",
                    "concatenate", "einsum", "clip"]

_namespace = {}
for _module, _names in ((_E, ELEMENTWISE), (_R, REDUCTIONS), (_S, SHAPE), (_P, PRODUCTS),
                        (_F, COMPOSED)):
    _namespace.update({n: getattr(_module, n) for n in _names})
_namespace.update({n: getattr(_F, n) for n in NUMPY_SIGNATURES})
for _name, _fn in list(_namespace.items()):  # NumPy's ufuncs take ufunc keywords (dtype, out=)
    if isinstance(getattr(_np, _name, None), _np.ufunc):
        _namespace[_name] = _K.ufunc_function(_name, _fn, _F._as_array)
_namespace.update(_N.NAMESPACE)
_namespace.update(abs=_namespace["absolute"], max=_F.amax, min=_F.amin,
                  true_divide=_namespace["divide"], remainder=_namespace["mod"],
                  trapz=_F.trapezoid, radians=_namespace["deg2rad"],
                  degrees=_namespace["rad2deg"])
globals().update(_namespace)
_install(_namespace, {n: getattr(linalg, n) for n in ("inv", "solve", "slogdet", "det", "norm",
                                                   "cholesky", "eigh", "eigvalsh", "svd",
                                                   "pinv", "lstsq", "matrix_power",
                                                   "multi_dot", "vector_norm", "matrix_norm",
                                                   "svdvals")})

__all__ = sorted(_namespace) + ["linalg"]


def __getattr__(name):
    try:
        return getattr(_np, name)
    except AttributeError:
        raise AttributeError(f"module 'autodiff.numpy' has no attribute {name!r}") from None
