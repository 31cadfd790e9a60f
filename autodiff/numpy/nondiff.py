"""NumPy functions whose results carry no derivative (tests, indices, rounding, shapes, sign):
they run on the innermost values of their arguments and return plain NumPy results."""
import functools

import numpy as np

from ..core.tracer import Tracer, bottom, primal


def strip(obj):
    """Replace traced values (also inside lists and tuples) by their innermost values."""
    if isinstance(obj, Tracer):
        return primal(obj)
    if isinstance(obj, (list, tuple)):
        return type(obj)(strip(o) for o in obj)
    return obj


def _stand_in(obj):
    """For a function that reads only shapes and dtypes: a traced value as an array of its
    shape and dtype, its value unread (a value ad.jit records stays unread)."""
    if isinstance(obj, Tracer):
        b = bottom(obj)
        if not isinstance(b, Tracer):
            return b
        flags = getattr(b, "flags", None)
        if flags is not None and flags.f_contiguous and not flags.c_contiguous:
            return np.zeros(b.shape, b.dtype, order="F")  # zeros_like(x) keeps x's layout
        return np.broadcast_to(np.zeros((), b.dtype), b.shape)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_stand_in(o) for o in obj)
    return obj


def _lowest(obj):
    """Traced values down to the level that stages values (ad.jit), which records the
    function itself (a mask, an argmax: recomputed at each replay), else raw values."""
    if isinstance(obj, Tracer):
        return bottom(obj)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_lowest(o) for o in obj)
    return obj


def nondiff(fn, only_shapes=False, staged=False):
    take = _stand_in if only_shapes else _lowest if staged else strip

    @functools.wraps(fn)
    def constant(*args, **kwargs):
        return fn(*take(args), **{k: take(v) for k, v in kwargs.items()})
    constant.nondiff = True  # NumPy's own keywords apply as they are (out= too: results are plain)
    return constant


NONDIFF_UFUNCS = [
    "sign", "floor", "ceil", "rint", "trunc", "isnan", "isinf", "isfinite", "floor_divide",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
    "logical_or", "logical_not", "logical_xor", "signbit", "heaviside",
]
NONDIFF_FUNCTIONS = [
    "round", "around", "fix", "argmax", "argmin", "argsort", "nonzero", "flatnonzero",
    "shape", "ndim", "size", "zeros_like", "ones_like", "full_like", "empty_like",
    "result_type", "count_nonzero", "allclose", "isclose", "array_equal", "any", "all",
    "searchsorted", "iscomplexobj", "isrealobj", "isscalar", "unique", "digitize", "histogram",
]

ONLY_SHAPES = {"shape", "ndim", "size", "result_type", "iscomplexobj", "isrealobj", "zeros_like",
               "ones_like", "empty_like"}
# recorded by ad.jit like primitives (autodiff/staging.py): elementwise, or of an output shape
# that follows from the arguments' shapes (not nonzero, unique, ...)
STAGED_UFUNCS = frozenset(NONDIFF_UFUNCS) - {"floor_divide", "heaviside"} | {
    "bitwise_and", "bitwise_or", "bitwise_xor", "invert"}
STAGED_FUNCTIONS = frozenset(["any", "all", "argmax", "argmin", "argpartition", "argsort",
                              "count_nonzero"])

NAMESPACE = {name: nondiff(getattr(np, name), name in ONLY_SHAPES,
                           name in STAGED_UFUNCS or name in STAGED_FUNCTIONS)
             for name in NONDIFF_UFUNCS + NONDIFF_FUNCTIONS}
