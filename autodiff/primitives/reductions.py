"""Reduction primitives: sum, amax, amin, cumsum (axis and keepdims normalized by the wrappers).
mean, var, std and prod are compositions of these (see autodiff.numpy)."""
import numpy as np

from ..core.tracer import bottom
from .declaration import declare
from .samples import uniform, values, call
from .shape import reshape_p, getitem_p, normalize_axes, normalize_axis, shape_of, reshape


def _kept_shape(shape, axis):
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


def _shift(axis, nb):
    return tuple(a + nb for a in axis)


def _expand(g, shape, axis, keepdims):
    """A cotangent of a reduction, with unit axes where it was reduced: compact, uniform along
    them (the declarations expand it where compact cotangents are off)."""
    return g if keepdims else reshape_p(g, shape=_kept_shape(shape, axis))


# --- sum -------------------------------------------------------------------------------------
sum_p = declare(
    "sum", lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims), ("x",),
    params=("axis", "keepdims"), linear=True,
    jvp=[lambda t, axis, keepdims: sum_p(t, axis=axis, keepdims=keepdims)],
    batched_jvp=[lambda t, nb, axis, keepdims: sum_p(t, axis=_shift(axis, nb), keepdims=keepdims)],
    vjp=[lambda g, x_shape, axis, keepdims: _expand(g, x_shape, axis, keepdims)],
    sparsity="reduction",
    samples=[call(uniform(2, 3), axis=(0, 1), keepdims=False),
             call(uniform(2, 3), axis=(1,), keepdims=False),
             call(uniform(2, 3, 2), axis=(0, 2), keepdims=True)])


def sum(x, axis=None, keepdims=False):  # noqa: A001 (the NumPy name)
    """np.sum."""
    axis = normalize_axes(axis, len(shape_of(x)))
    if not axis and not keepdims:
        return x
    return sum_p(x, axis=axis, keepdims=bool(keepdims))


# --- amax / amin -----------------------------------------------------------------------------
def _extremum_weights(out, x, axis, keepdims):
    """Where the extremum is attained, ties sharing the derivative equally (a constant)."""
    xv, ov = bottom(x), bottom(out)  # staged under ad.jit (a mask recomputed at each replay)
    if not keepdims:
        ov = np.reshape(ov, _kept_shape(xv.shape, axis))
    mask = (xv == ov).astype(np.result_type(xv))
    return mask / np.sum(mask, axis=axis, keepdims=True)


def _extremum_jvp(t, out, x, axis, keepdims):
    return sum_p(t * _extremum_weights(out, x, axis, keepdims), axis=axis, keepdims=keepdims)


def _extremum_batched_jvp(t, nb, out, x, axis, keepdims):
    return sum_p(t * _extremum_weights(out, x, axis, keepdims), axis=_shift(axis, nb),
                 keepdims=keepdims)


def _extremum_vjp(g, out, x, axis, keepdims):
    return _expand(g, x.shape, axis, keepdims) * _extremum_weights(out, x, axis, keepdims)


def _declare_extremum(name, impl, samples):
    return declare(name, lambda x, axis, keepdims: impl(x, axis=axis, keepdims=keepdims), ("x",),
                   params=("axis", "keepdims"), jvp=[_extremum_jvp],
                   batched_jvp=[_extremum_batched_jvp], vjp=[_extremum_vjp],
                   sparsity="reduction", samples=samples)


amax_p = _declare_extremum("amax", np.amax, [
    call(values([[1.0, 5.0], [3.0, 2.0]]), axis=(0,), keepdims=False),
    call(values([0.1, 0.7, -0.3]), axis=(0,), keepdims=False)])
amin_p = _declare_extremum("amin", np.amin, [
    call(values([[1.0, 5.0], [3.0, 2.0]]), axis=(1,), keepdims=True)])


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
def _reverse_cumsum(g, axis):
    flip = (slice(None),) * axis + (slice(None, None, -1),)
    return getitem_p(cumsum_p(getitem_p(g, index=flip, lead=0), axis=axis), index=flip, lead=0)


cumsum_p = declare(
    "cumsum", lambda x, axis: np.cumsum(x, axis=axis), ("x",), params=("axis",), linear=True,
    jvp=[lambda t, axis: cumsum_p(t, axis=axis)],
    batched_jvp=[lambda t, nb, axis: cumsum_p(t, axis=axis + nb)],
    vjp=[lambda g, axis: _reverse_cumsum(g, axis)], sparsity="scan",
    samples=[call(uniform(2, 3), axis=1), call(uniform(4), axis=0)])


def cumsum(x, axis=None):
    """np.cumsum (axis=None flattens first)."""
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return cumsum_p(x, axis=normalize_axis(axis, len(shape_of(x))))
