"""Reduction primitives: sum, amax, amin, cumsum (axis and keepdims normalized by the wrappers).
mean, var, std and prod are compositions of these (see autodiff.numpy)."""
import numpy as np

from ..core.primitive import primitive, defjvp, defvjp, batch_ndim
from ..core.shortcuts import state as shortcuts
from ..core.tracer import primal
from .shape import (reshape_p, broadcast_to_p, getitem_p, normalize_axes, normalize_axis,
                    shape_of, reshape)

F = "reductions"


def _kept_shape(shape, axis):
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


def _shift(axis, nb):
    return tuple(a + nb for a in axis)


def _expand(g, shape, axis, keepdims, compact=False):
    """A cotangent of a reduction, broadcast back to the reduced input's shape; with compact,
    left with unit axes where it is uniform (the reverse sweep broadcasts it when it must)."""
    if not keepdims:
        g = reshape_p(g, shape=_kept_shape(shape, axis))
    return g if compact else broadcast_to_p(g, shape=shape)


# --- sum -------------------------------------------------------------------------------------
sum_p = primitive("sum", lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims), F)
defjvp(sum_p, lambda t, out, x, axis, keepdims:
       sum_p(t, axis=_shift(axis, batch_ndim(t, x)), keepdims=keepdims))
defvjp(sum_p, lambda g, out, x, axis, keepdims:
       _expand(g, x.shape, axis, keepdims, compact=shortcuts.compact_cotangents))


def sum(x, axis=None, keepdims=False):  # noqa: A001 (the NumPy name)
    """np.sum."""
    axis = normalize_axes(axis, len(shape_of(x)))
    if not axis and not keepdims:
        return x
    return sum_p(x, axis=axis, keepdims=bool(keepdims))


def unbroadcast(c, shape, full=None):
    """Sum a cotangent over the axes along which an input of `shape` was broadcast to `full`
    (the output's shape; c's own shape if not given). A compact cotangent (unit axes where it
    is uniform, as a sum's VJP leaves it) stands for `full`: summing its unit axis over d copies
    is a product by d. Compact axes the input keeps stay compact."""
    cs = c.shape
    full = cs if full is None else full
    if cs == shape == full:
        return c
    if len(cs) < len(full):
        cs = (1,) * (len(full) - len(cs)) + cs
        c = reshape_p(c, shape=cs)
    lead = len(full) - len(shape)
    summed, copies = [], 1
    for axis, d in enumerate(full):
        if axis < lead or (shape[axis - lead] == 1 and d != 1):
            if cs[axis] == d:
                summed.append(axis)
            else:  # compact: d equal copies
                copies *= d
    if summed:
        c = sum_p(c, axis=tuple(summed), keepdims=False)
    if copies != 1:
        c = c * float(copies)
    target = tuple(1 if cs[lead + i] == 1 else d for i, d in enumerate(shape))
    return reshape_p(c, shape=target) if c.shape != target else c


# --- amax / amin -----------------------------------------------------------------------------
def _extremum_weights(out, x, axis, keepdims):
    """Where the extremum is attained, ties sharing the derivative equally (a constant)."""
    xv, ov = primal(x), primal(out)
    if not keepdims:
        ov = np.reshape(ov, _kept_shape(xv.shape, axis))
    mask = (xv == ov).astype(np.result_type(xv))
    return mask / np.sum(mask, axis=axis, keepdims=True)


def _extremum_jvp(t, out, x, axis, keepdims):
    w = _extremum_weights(out, x, axis, keepdims)
    return sum_p(t * w, axis=_shift(axis, batch_ndim(t, x)), keepdims=keepdims)


def _extremum_vjp(g, out, x, axis, keepdims):
    return _expand(g, x.shape, axis, keepdims) * _extremum_weights(out, x, axis, keepdims)


amax_p = primitive("amax", lambda x, axis, keepdims: np.amax(x, axis=axis, keepdims=keepdims), F)
amin_p = primitive("amin", lambda x, axis, keepdims: np.amin(x, axis=axis, keepdims=keepdims), F)
for _p in (amax_p, amin_p):
    defjvp(_p, _extremum_jvp)
    defvjp(_p, _extremum_vjp)


def _extremum(prim, x, axis, keepdims):
    shape = shape_of(x)
    axis = normalize_axes(axis, len(shape))
    if any(shape[a] == 0 for a in axis):
        raise ValueError(f"zero-size array to reduction operation {prim.name} has no identity")
    if not axis and not keepdims:
        return x
    return prim(x, axis=axis, keepdims=bool(keepdims))


def amax(x, axis=None, keepdims=False):
    """np.max / np.amax; where several entries attain the maximum they share its derivative."""
    return _extremum(amax_p, x, axis, keepdims)


def amin(x, axis=None, keepdims=False):
    """np.min / np.amin; where several entries attain the minimum they share its derivative."""
    return _extremum(amin_p, x, axis, keepdims)


# --- cumsum ----------------------------------------------------------------------------------
cumsum_p = primitive("cumsum", lambda x, axis: np.cumsum(x, axis=axis), F)


def _reverse_cumsum(g, axis):
    flip = (slice(None),) * axis + (slice(None, None, -1),)
    return getitem_p(cumsum_p(getitem_p(g, index=flip, nb=0), axis=axis), index=flip, nb=0)


defjvp(cumsum_p, lambda t, out, x, axis: cumsum_p(t, axis=axis + batch_ndim(t, x)))
defvjp(cumsum_p, lambda g, out, x, axis: _reverse_cumsum(g, axis))


def cumsum(x, axis=None):
    """np.cumsum (axis=None flattens first)."""
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return cumsum_p(x, axis=normalize_axis(axis, len(shape_of(x))))
