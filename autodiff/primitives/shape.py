"""Shape primitives: reshape, transpose, getitem (and its adjoint, a scatter-add), concatenate,
cast (broadcast_to is in broadcasting.py). All are linear, so each JVP applies the same primitive
to the tangent (the batched rule keeps a batch's axes in front), and each VJP applies the
adjoint primitive."""
import numpy as np

from ..core import basis
from ..core.shortcuts import state as shortcuts
from ..core.tracer import Tracer, bottom
from .declaration import declare
from .samples import uniform, values, call, through


def shape_of(x):
    return x.shape if isinstance(x, (np.ndarray, np.generic, Tracer)) else np.shape(x)


def dtype_of(x):
    """x's dtype, as np.result_type(primal(x)) but without reading a traced value (ad.jit
    notes every read of a value it records)."""
    b = bottom(x)
    return b.dtype if isinstance(b, Tracer) else np.result_type(b)


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
def _reshape_batched_jvp(t, nb, shape):
    out = reshape_p(t, shape=t.shape[:nb] + shape)
    if shortcuts.basis_products and nb == 1:
        mark = basis.known(t)
        if mark is not None:  # (C order: each row keeps its flat positions)
            mark.derive(out)
    return out


reshape_p = declare(
    "reshape", lambda x, shape: np.reshape(x, shape), ("x",), params=("shape",), linear=True,
    jvp=[lambda t, shape: reshape_p(t, shape=shape)],
    batched_jvp=[_reshape_batched_jvp],
    vjp=[lambda g, x_shape: reshape_p(g, shape=x_shape)],
    sparsity="index_map",
    samples=[call(uniform(2, 3), shape=(3, 2)), through(lambda x: x.reshape(-1), uniform(2, 2))])


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


# --- transpose -------------------------------------------------------------------------------
def _batched_axes(axes, nb):
    """A transpose's axes for a value with nb leading batch axes, which stay in front."""
    return tuple(range(nb)) + tuple(a + nb for a in axes)


transpose_p = declare(
    "transpose", lambda x, axes: np.transpose(x, axes), ("x",), params=("axes",), linear=True,
    jvp=[lambda t, axes: transpose_p(t, axes=axes)],
    batched_jvp=[lambda t, nb, axes: transpose_p(t, axes=_batched_axes(axes, nb))],
    vjp=[lambda g, axes: transpose_p(g, axes=tuple(np.argsort(axes).tolist()))],
    sparsity="index_map",
    samples=[call(uniform(2, 3), axes=(1, 0)), call(uniform(2, 3, 4), axes=(1, 2, 0))])


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


def _getitem_impl(x, index, lead):
    idx, move = _batched(index, lead)
    if move:
        return _to_front(_to_back(np.asarray(x), lead)[idx], lead)
    return x[idx]


def _index_add_impl(g, index, shape, lead):
    z = np.zeros(shape, dtype=np.result_type(g))
    idx, move = _batched(index, lead)
    zv, gv = (_to_back(z, lead), _to_back(np.asarray(g), lead)) if move else (z, g)
    if any(_is_array_index(i) for i in index):
        np.add.at(zv, idx, gv)  # repeated integer indexes accumulate
    else:
        zv[idx] = gv
    return z


def _getitem_batched_jvp(t, nb, index, lead):
    part = getitem_p(t, index=index, lead=lead + nb)
    if shortcuts.zero_slices and (type(part) is np.ndarray or (
            isinstance(part, Tracer) and part.stages_values)) and not np.any(part):
        # A batch of tangents (jacfwd, hessian) is a block of the identity: the part of it that
        # a slice picks out is often all zero, and a symbolic zero saves all work downstream.
        # (Under ad.jit, a staged part is tested by a guard: the same choice at each replay.)
        return None
    if shortcuts.basis_products and nb == 1:
        _slice_of_basis(t, part, index, lead)
    return part


def _slice_of_basis(t, part, index, lead):
    """Mark part = t[:, a:b] of a vector's batch of identity rows t as identity rows too (the
    shortcut basis_products: packed parameters, p[:n].reshape(...), reach a product marked)."""
    mark = basis.known(t)
    if mark is None or lead or len(t.shape) != 2 or len(index) != 1 or \
            type(index[0]) is not slice or index[0].step not in (None, 1):
        return
    a, b, _ = index[0].indices(t.shape[1])
    first, stop = max(mark.first, a - mark.shift), min(mark.stop, b - mark.shift)
    if first < stop:
        mark.derive(part, first, stop, mark.shift - a)
    else:  # no row is one inside the slice
        mark.derive(part, 0, 0, 0)


def _getitem_accumulate(buffer, g, batch, x, index, lead):
    """The adjoint of x[index] added into `buffer` in place (a new one if None); `batch` is the
    shape of extra leading batch axes that g and the buffer carry over x (a batched tangent)."""
    lead += len(batch)
    if buffer is None:
        return _index_add_impl(g, index, batch + x.shape, lead)
    idx, move = _batched(index, lead)
    view, gv = (_to_back(buffer, lead), _to_back(g, lead)) if move else (buffer, g)
    if any(_is_array_index(i) for i in index):
        np.add.at(view, idx, gv)
    else:
        view[idx] += gv
    return buffer


getitem_p = declare(
    "getitem", _getitem_impl, ("x",), params=("index", "lead"), linear=True,
    jvp=[lambda t, index, lead: getitem_p(t, index=index, lead=lead)],
    batched_jvp=[_getitem_batched_jvp],
    vjp=[lambda g, x_shape, index, lead: index_add_p(g, index=index, shape=x_shape, lead=lead)],
    accumulate=_getitem_accumulate, sparsity="index_map",
    samples=[through(lambda x: x[1:, ::-1], uniform(3, 4)),
             through(lambda x: x[np.array([0, 2, 0])], uniform(3, 2)),  # repeats accumulate
             through(lambda x: x[x > 0], values([0.5, -1.0, 2.0, -0.3])),
             through(lambda x: x[..., None, 1], uniform(2, 3)),
             through(lambda x: x[np.array([0, 1]), :, np.array([1, 0])], uniform(2, 3, 2)),
             through(lambda x: x[-1], uniform(3, 2))],
    doc="x[index], index canonical; `lead` leading axes are batch axes the index skips")

index_add_p = declare(
    "index_add", _index_add_impl, ("g",), params=("index", "shape", "lead"), linear=True,
    jvp=[lambda t, index, shape, lead: index_add_p(t, index=index, shape=shape, lead=lead)],
    batched_jvp=[lambda t, nb, index, shape, lead:
                 index_add_p(t, index=index, shape=t.shape[:nb] + shape, lead=lead + nb)],
    vjp=[lambda c, index, lead: getitem_p(c, index=index, lead=lead)],
    sparsity="scatter",
    samples=[call(uniform(3), index=(np.arange(3), np.arange(3)), shape=(3, 3), lead=0),  # diag
             call(uniform(2), index=(np.arange(2) + 1, np.arange(2)), shape=(3, 3), lead=0)],
    doc="zeros(shape) with g added at index: the adjoint of getitem")


def canonical_index(index, shape):
    """Rewrite an index as a tuple of ints, slices, None and integer arrays, without Ellipsis,
    so that the derivative rules can replay it on tangents with batch axes."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    for i in index:
        if isinstance(i, Tracer) and i.stages_values:
            i = np.asarray(i)  # a mask or indices ad.jit stages: read (a guard) as plain values
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
    return getitem_p(x, index=index, lead=0)


# --- concatenate -----------------------------------------------------------------------------
def _concatenate_jvp(tangents, xs_shapes, axis):
    return _concatenate_batched_jvp(tangents, 0, xs_shapes, axis)


def _concatenate_batched_jvp(tangents, nb, xs_shapes, axis):
    """Zeros stand in for the arguments without a tangent."""
    lead = next(t.shape[:nb] for t in tangents if t is not None)
    dtype = next(t.dtype for t in tangents if t is not None)
    ts = [np.zeros(lead + shape, dtype=dtype) if t is None else t
          for t, shape in zip(tangents, xs_shapes)]
    return concatenate_p(*ts, axis=axis + nb)


def _concatenate_vjp(g, argnum, xs_shapes, axis):
    start = sum(shape[axis] for shape in xs_shapes[:argnum])
    index = (slice(None),) * axis + (slice(start, start + xs_shapes[argnum][axis]),)
    return getitem_p(g, index=index, lead=0)


concatenate_p = declare(
    "concatenate", lambda *xs, axis: np.concatenate(xs, axis), ("*xs",), params=("axis",),
    linear=True, jvp=_concatenate_jvp, batched_jvp=_concatenate_batched_jvp,
    vjp=_concatenate_vjp, sparsity="index_map",
    samples=[call(uniform(2, 3), uniform(2, 1), axis=1),
             through(lambda x: concatenate([x, 2.0 * x, np.ones(2)]), uniform(2))])


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
def _real_part(g):
    """A real argument's cotangent from a complex one (see primitives/complex.py)."""
    from . import complex as C  # (complex is declared after shape)
    return C.real(g)


cast_p = declare(
    "cast", lambda x, dtype: np.asarray(x, dtype=dtype), ("x",), params=("dtype",),
    linear=True, jvp=[lambda t, dtype: cast_p(t, dtype=dtype)], batched_jvp="same",
    vjp=[lambda g, x_dtype: cast_p(_real_part(g) if x_dtype.kind != "c" else g,
                                   dtype=x_dtype)], sparsity="elementwise-linear",
    samples=[call(uniform(3), dtype=np.dtype(np.float64))],
    doc="a float dtype conversion (x.astype)")
