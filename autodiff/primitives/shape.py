"""Shape primitives: reshape, transpose, broadcast_to, getitem (and its adjoint, a scatter-add),
concatenate, cast. All are linear, so each JVP applies the same primitive to the tangent with
its batch axes kept in front, and each VJP applies the adjoint primitive."""
import numpy as np

from ..core.primitive import primitive, defjvp, defvjp, batch_ndim
from ..core.shortcuts import state as shortcuts
from ..core.tracer import Tracer, primal

F = "shape"


def shape_of(x):
    return x.shape if isinstance(x, (np.ndarray, np.generic, Tracer)) else np.shape(x)


def normalize_axis(axis, ndim, name="axis"):
    """A non-negative int axis, or a clear error."""
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {axis!r}")
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"{name} {axis} is out of bounds for an array of dimension {ndim}")
    return int(axis) % max(ndim, 1)


def normalize_axes(axis, ndim):
    """None -> all axes; an int or a sequence -> a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    axes = tuple(sorted(normalize_axis(a, ndim) for a in axis))
    if len(set(axes)) != len(axes):
        raise ValueError(f"repeated axis in {axis!r}")
    return axes


# --- reshape ---------------------------------------------------------------------------------
reshape_p = primitive("reshape", lambda x, shape: np.reshape(x, shape), F)
defjvp(reshape_p, lambda t, out, x, shape: reshape_p(t, shape=t.shape[:batch_ndim(t, x)] + shape))
defvjp(reshape_p, lambda g, out, x, shape: reshape_p(g, shape=x.shape))


def reshape(x, *shape):
    """np.reshape (C order)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    size = int(np.prod(shape_of(x)))
    if shape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension (-1) in reshape")
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {shape}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    if int(np.prod(shape)) != size:
        raise ValueError(f"cannot reshape array of size {size} into shape {shape}")
    if shape == shape_of(x):
        return x
    return reshape_p(x, shape=shape)


def lift_to_rank(t, nd, rank):
    """Insert unit axes after a tangent's batch axes so that it broadcasts, right-aligned,
    like its primal (of `nd` axes) does against an output of rank `rank`."""
    if nd == rank:
        return t
    nb = len(t.shape) - nd
    return reshape_p(t, shape=t.shape[:nb] + (1,) * (rank - nd) + t.shape[nb:])


# --- transpose -------------------------------------------------------------------------------
transpose_p = primitive("transpose", lambda x, axes: np.transpose(x, axes), F)


def _transpose_jvp(t, out, x, axes):
    nb = batch_ndim(t, x)
    return transpose_p(t, axes=tuple(range(nb)) + tuple(a + nb for a in axes))


defjvp(transpose_p, _transpose_jvp)
defvjp(transpose_p, lambda g, out, x, axes: transpose_p(g, axes=tuple(np.argsort(axes).tolist())))


def transpose(x, axes=None):
    """np.transpose."""
    nd = len(shape_of(x))
    if axes is None:
        axes = tuple(range(nd))[::-1]
    axes = tuple(normalize_axis(a, nd) for a in axes)
    if sorted(axes) != list(range(nd)):
        raise ValueError(f"axes {axes} don't match an array of dimension {nd}")
    if axes == tuple(range(nd)):
        return x
    return transpose_p(x, axes=axes)


# --- broadcast_to ----------------------------------------------------------------------------
broadcast_to_p = primitive("broadcast_to", lambda x, shape: np.broadcast_to(x, shape), F)


def _broadcast_to_jvp(t, out, x, shape):
    t = lift_to_rank(t, len(x.shape), len(shape))
    return broadcast_to_p(t, shape=t.shape[:len(t.shape) - len(shape)] + shape)


defjvp(broadcast_to_p, _broadcast_to_jvp)
defvjp(broadcast_to_p, lambda g, out, x, shape: unbroadcast(g, x.shape))


def broadcast_to(x, shape):
    """np.broadcast_to (the result is a new differentiable value, not a view)."""
    shape = tuple(int(s) for s in shape)
    xs = shape_of(x)
    np.broadcast_shapes(xs, shape)  # raises numpy's own clear error on mismatch
    if len(shape) < len(xs) or np.broadcast_shapes(xs, shape) != shape:
        raise ValueError(f"cannot broadcast an array of shape {xs} to shape {shape}")
    if xs == shape:
        return x
    return broadcast_to_p(x, shape=shape)


# --- getitem and its adjoint ------------------------------------------------------------------
def _is_array_index(i):
    return isinstance(i, np.ndarray)


def _separated_advanced(index):
    """True when NumPy would move the advanced-index axes to the front (they are not adjacent)."""
    if not any(_is_array_index(i) for i in index):
        return False
    pos = [k for k, i in enumerate(index)
           if _is_array_index(i) or isinstance(i, (int, np.integer))]
    return pos[-1] - pos[0] + 1 != len(pos)


def _batched(index, nb):
    """How to apply `index` to an array with `nb` extra leading batch axes:
    (index to use, whether the batch axes must first be moved to the end)."""
    if nb == 0:
        return index, False
    if _separated_advanced(index):
        return index, True  # canonical indexes have no Ellipsis: trailing batch axes survive
    return (slice(None),) * nb + index, False


def _to_back(a, nb):
    return np.moveaxis(a, tuple(range(nb)), tuple(range(a.ndim - nb, a.ndim)))


def _to_front(a, nb):
    return np.moveaxis(a, tuple(range(a.ndim - nb, a.ndim)), tuple(range(nb)))


def _getitem_impl(x, index, nb):
    idx, move = _batched(index, nb)
    if move:
        return _to_front(_to_back(np.asarray(x), nb)[idx], nb)
    return x[idx]


def _index_add_impl(g, index, shape, nb):
    z = np.zeros(shape, dtype=np.result_type(g))
    idx, move = _batched(index, nb)
    zv, gv = (_to_back(z, nb), _to_back(np.asarray(g), nb)) if move else (z, g)
    if any(_is_array_index(i) for i in index):
        np.add.at(zv, idx, gv)  # repeated integer indexes accumulate
    else:
        zv[idx] = gv
    return z


getitem_p = primitive("getitem", _getitem_impl, F,
                      doc="x[index], index canonical; nb leading axes are batch axes")
index_add_p = primitive("index_add", _index_add_impl, F,
                        doc="zeros(shape) with g added at index: the adjoint of getitem")


def _getitem_jvp(t, out, x, index, nb):
    nbt = batch_ndim(t, x)
    part = getitem_p(t, index=index, nb=nb + nbt)
    if nbt and shortcuts.zero_slices and type(part) is np.ndarray and not part.any():
        # A batch of tangents (jacfwd, hessian) is a block of the identity: the part of it that
        # a slice picks out is often all zero, and a symbolic zero saves all work downstream.
        return None
    return part


defjvp(getitem_p, _getitem_jvp)
defvjp(getitem_p, lambda g, out, x, index, nb: index_add_p(g, index=index, shape=x.shape, nb=nb))


def _getitem_accumulate(buffer, g, lead, x, index, nb):
    """The adjoint of x[index] added into `buffer` in place (a new one if None); `lead` is the
    shape of extra leading batch axes that g and the buffer carry over x (a batched tangent)."""
    nb += len(lead)
    if buffer is None:
        return _index_add_impl(g, index, lead + x.shape, nb)
    idx, move = _batched(index, nb)
    view, gv = (_to_back(buffer, nb), _to_back(g, nb)) if move else (buffer, g)
    if any(_is_array_index(i) for i in index):
        np.add.at(view, idx, gv)
    else:
        view[idx] += gv
    return buffer


getitem_p.vjp_accumulate = _getitem_accumulate


def _index_add_jvp(t, out, g, index, shape, nb):
    nbt = batch_ndim(t, g)
    return index_add_p(t, index=index, shape=t.shape[:nbt] + shape, nb=nb + nbt)


defjvp(index_add_p, _index_add_jvp, None, None)
defvjp(index_add_p, lambda c, out, g, index, shape, nb: getitem_p(c, index=index, nb=nb))


def canonical_index(index, shape):
    """Rewrite an index as a tuple of ints, slices, None and integer arrays, without Ellipsis,
    so that the derivative rules can replay it on tangents with batch axes."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for i in index:
        if isinstance(i, Tracer):
            raise TypeError("an index must not be a traced value; indexes are not differentiable "
                            "(use autodiff.stop_gradient on it if it is meant as a constant)")
        if isinstance(i, (list, np.ndarray)):
            i = np.asarray(i)
            if i.dtype == bool:
                out.extend(np.nonzero(i))
                continue
            if i.dtype.kind not in "iu":
                raise IndexError(f"arrays used as indices must be of integer or boolean type, "
                                 f"got {i.dtype}")
        elif isinstance(i, (bool, np.bool_)):
            raise IndexError("a scalar boolean index is not supported by autodiff")
        elif i is not None and i is not Ellipsis and not isinstance(i, (int, np.integer, slice)):
            raise IndexError(f"unsupported index {i!r}")
        out.append(i)
    ellipses = [k for k, i in enumerate(out) if i is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if ellipses:
        used = sum(1 for i in out if i is not None and i is not Ellipsis)
        out[ellipses[0]:ellipses[0] + 1] = [slice(None)] * (len(shape) - used)
    return tuple(out)


def getitem(x, index):
    """x[index]: slices, negative steps, integers, integer arrays, boolean masks, ..., None."""
    if not isinstance(x, (Tracer, np.ndarray)):
        x = np.asarray(x)  # lists and scalars index like arrays
    index = canonical_index(index, shape_of(x))
    return getitem_p(x, index=index, nb=0)


# --- concatenate -----------------------------------------------------------------------------
concatenate_p = primitive("concatenate", lambda *xs, axis: np.concatenate(xs, axis), F)


def _concatenate_jvp(tangents, out, *xs, axis):
    nb = next(batch_ndim(t, x) for t, x in zip(tangents, xs) if t is not None)
    lead = next(t.shape[:nb] for t in tangents if t is not None)
    ts = [np.zeros(lead + shape_of(x), dtype=np.result_type(primal(x))) if t is None else t
          for t, x in zip(tangents, xs)]
    return concatenate_p(*ts, axis=axis + nb)


def _concatenate_vjp(i, g, out, *xs, axis):
    start = sum(shape_of(x)[axis] for x in xs[:i])
    index = (slice(None),) * axis + (slice(start, start + shape_of(xs[i])[axis]),)
    return getitem_p(g, index=index, nb=0)


concatenate_p.jvp_all = _concatenate_jvp
concatenate_p.vjp_all = _concatenate_vjp


def concatenate(arrays, axis=0):
    """np.concatenate (axis=None flattens first)."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        arrays = [reshape(a, (-1,)) for a in arrays]
        axis = 0
    nd = len(shape_of(arrays[0]))
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    axis = normalize_axis(axis, nd)
    if len(arrays) == 1:
        return arrays[0]
    return concatenate_p(*arrays, axis=axis)


# --- cast ------------------------------------------------------------------------------------
cast_p = primitive("cast", lambda x, dtype: np.asarray(x, dtype=dtype), F,
                   doc="a float dtype conversion (x.astype)")
defjvp(cast_p, lambda t, out, x, dtype: cast_p(t, dtype=dtype))
defvjp(cast_p, lambda g, out, x, dtype: cast_p(g, dtype=x.dtype))


from .reductions import unbroadcast  # noqa: E402  (reductions builds on this module)
