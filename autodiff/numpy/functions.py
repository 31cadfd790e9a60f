"""NumPy functions composed from the primitives: they need no rules of their own, since their
derivatives (of every order) follow from the primitives they are built of. Each has NumPy's
signature; keywords.py says how NumPy's keywords are honoured or refused."""
import builtins
import warnings

import numpy as np

from ..core.tracer import Tracer, bottom, primal
from ..primitives import (elementwise as E, reductions as R, shape as S, products as P,
                          broadcasting as B, complex as C)
from ..primitives.shape import dtype_of, shape_of, normalize_axis, normalize_axes, getitem
from .keywords import NOT_GIVEN, no_out, cast, mask, refuse, ufunc_inputs
from .names import serves

def _ndim(x):
    return len(shape_of(x))


def _as_array(x):
    """A list or tuple (of numbers, or holding traced values) as an array, as NumPy reads it;
    anything else unchanged."""
    return array(x) if isinstance(x, (list, tuple)) else x


# --- reductions, with NumPy's keywords ----------------------------------------------------------
@serves()
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=0, where=True):  # noqa: A001
    """np.sum; entries masked out by `where` get derivative 0."""
    a = _as_array(a)
    if dtype is not None or where is not True or out is not None:
        no_out("sum", out)
        a = cast(a, dtype, "sum")
        m = mask(where, shape_of(a))
        if m is not None:
            a = E.where(m, a, 0.0)
    s = R.sum(a, axis, keepdims)
    return s if _is_zero(initial) else s + initial


def _is_zero(c):
    return (type(c) is int and c == 0) or (not isinstance(c, Tracer) and np.ndim(c) == 0
                                           and c == 0)


def _count(x, axis, m=None, keepdims=False):
    """Entries per reduced slice: a number, or with a mask an array of counts."""
    if m is None:
        shape = shape_of(x)
        return int(np.prod([shape[a] for a in normalize_axes(axis, len(shape))]))
    counts = np.sum(m, axis=normalize_axes(axis, m.ndim), keepdims=keepdims)
    return counts.astype(np.result_type(dtype_of(x), 1.0))  # as NumPy: the data's float type


@serves()
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    """np.mean (over the entries `where` selects)."""
    a = _as_array(a)
    if dtype is None and where is True and out is None:
        return R.sum(a, axis, keepdims) / _count(a, axis)
    no_out("mean", out)
    a = cast(a, dtype, "mean")
    m = mask(where, shape_of(a))
    return sum(a, axis, keepdims=keepdims, where=True if m is None else m) / \
        _count(a, axis, m, keepdims)


@serves()
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None,
        correction=NOT_GIVEN):
    """np.var (with ddof or correction, where, and a precomputed mean as NumPy's mean=)."""
    a = _as_array(a)
    no_out("var", out)
    if correction is not NOT_GIVEN:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    a = cast(a, dtype, "var")
    m = mask(where, shape_of(a))
    where = True if m is None else m
    center = _mean(a, axis, keepdims=True, where=where) if mean is None else mean
    d = a - center
    d2 = C.real(d * C.conj(d)) if C.is_complex(d) else d * d  # |d|^2, as NumPy's var
    return sum(d2, axis, keepdims=keepdims, where=where) / (_count(a, axis, m, keepdims) - ddof)


_mean = mean


@serves()
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True, mean=None,
        correction=NOT_GIVEN):
    """np.std. Where the spread is zero (one entry, or constant data) std is not
    differentiable (|.| at 0); its derivative is taken as 0 there, as autograd's, not NaN."""
    no_out("std", out)
    v = var(a, axis, dtype, None, ddof, keepdims, where=where, mean=mean, correction=correction)
    zero = bottom(v) == 0  # staged under ad.jit
    if not np.any(zero):
        return E.sqrt(v)
    return E.where(zero, 0.0, E.sqrt(E.where(zero, 1.0, v)))


@serves()
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=1, where=True):
    """np.prod as a tree of pairwise products: exact derivatives of every order, zeros included
    (no division by the entries)."""
    a = _as_array(a)
    no_out("prod", out)
    a = cast(a, dtype, "prod")
    m = mask(where, shape_of(a))
    if m is not None:
        a = E.where(m, a, 1.0)
    p = _prod(a, axis, keepdims)
    return p if (not isinstance(initial, Tracer) and np.ndim(initial) == 0 and initial == 1) \
        else p * initial


def _prod(x, axis, keepdims):
    shape = shape_of(x)
    axes = normalize_axes(axis, len(shape))
    rest = [a for a in range(len(shape)) if a not in axes]
    y = S.transpose(x, rest + list(axes))
    y = S.reshape(y, tuple(shape[a] for a in rest) + (-1,) if axes else tuple(shape) + (1,))
    while shape_of(y)[-1] > 1:
        m = shape_of(y)[-1]
        if m % 2:
            pad = np.ones(shape_of(y)[:-1] + (1,), dtype=np.result_type(dtype_of(y)))
            y = S.concatenate([y, pad], axis=-1)
        y = getitem(y, (Ellipsis, slice(0, None, 2))) * getitem(y, (Ellipsis, slice(1, None, 2)))
    if shape_of(y)[-1] == 0:
        y = np.ones(shape_of(y)[:-1], dtype=np.result_type(dtype_of(x), 1.0))
    else:
        y = S.reshape(y, shape_of(y)[:-1])
    if keepdims:
        y = S.reshape(y, tuple(1 if i in axes else s for i, s in enumerate(shape)))
    return y


def _extremum(fname, reduce, pick, fill, a, axis, out, keepdims, initial, where):
    a = _as_array(a)
    no_out(fname, out)
    m = mask(where, shape_of(a))
    if m is not None:
        if initial is NOT_GIVEN:
            raise ValueError(f"reduction operation {fname!r} does not have an identity, so to "
                             "use a where mask one has to specify 'initial'")
        a = E.where(m, a, fill)
    if initial is NOT_GIVEN:
        return reduce(a, axis, keepdims)
    shape = shape_of(a)
    if any(shape[i] == 0 for i in normalize_axes(axis, len(shape))):  # only `initial` is left
        return getattr(np, fname)(primal(a), axis, keepdims=keepdims, initial=primal(initial))
    return pick(reduce(a, axis, keepdims), initial)


@serves("amax", "max")
def amax(a, axis=None, out=None, keepdims=False, initial=NOT_GIVEN, where=True):
    """np.max / np.amax; where several entries attain the maximum (or tie with `initial`) they
    share its derivative."""
    return _extremum("max", R.amax, E.maximum, -np.inf, a, axis, out, keepdims, initial, where)


@serves("amin", "min")
def amin(a, axis=None, out=None, keepdims=False, initial=NOT_GIVEN, where=True):
    """np.min / np.amin; where several entries attain the minimum (or tie with `initial`) they
    share its derivative."""
    return _extremum("min", R.amin, E.minimum, np.inf, a, axis, out, keepdims, initial, where)


@serves()
def cumsum(a, axis=None, dtype=None, out=None):
    """np.cumsum (axis=None flattens first)."""
    a = _as_array(a)
    no_out("cumsum", out)
    return R.cumsum(cast(a, dtype, "cumsum"), axis)


# --- shape manipulation ------------------------------------------------------------------------
@serves()
def swapaxes(a, axis1, axis2):
    """np.swapaxes."""
    a = _as_array(a)
    nd = _ndim(a)
    axes = list(range(nd))
    i, j = normalize_axis(axis1, nd), normalize_axis(axis2, nd)
    axes[i], axes[j] = axes[j], axes[i]
    return S.transpose(a, axes)


@serves()
def moveaxis(a, source, destination):
    """np.moveaxis."""
    a = _as_array(a)
    nd = _ndim(a)
    src = [normalize_axis(i, nd) for i in np.atleast_1d(source)]
    dst = [normalize_axis(i, nd) for i in np.atleast_1d(destination)]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return S.transpose(a, order)


@serves()
def expand_dims(a, axis):
    """np.expand_dims."""
    a = _as_array(a)
    shape = list(shape_of(a))
    axes = normalize_axes(axis, len(shape) + len(np.atleast_1d(axis)))
    for i in axes:
        shape.insert(i, 1)
    return S.reshape(a, tuple(shape))


@serves()
def squeeze(a, axis=None):
    """np.squeeze."""
    a = _as_array(a)
    shape = shape_of(a)
    axes = ([i for i, s in enumerate(shape) if s == 1] if axis is None
            else normalize_axes(axis, len(shape)))
    for i in axes:
        if shape[i] != 1:
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return S.reshape(a, tuple(s for i, s in enumerate(shape) if i not in axes))


@serves()
def reshape(a, /, shape=None, order="C", *, newshape=None, copy=None):
    """np.reshape, in C or Fortran order ("A": Fortran for a Fortran-contiguous value, as
    NumPy). copy= has no effect: traced values are immutable, so a copy and a view cannot be
    told apart."""
    a = _as_array(a)
    if newshape is not None:  # NumPy < 2.4's name
        if shape is not None:
            raise TypeError("reshape: give shape or newshape, not both")
        shape = newshape
    if shape is None:
        raise TypeError("reshape() missing required argument 'shape'")
    if _fortran(a, order, "reshape", ("C", "F", "A")):
        if isinstance(shape, (int, np.integer)):
            shape = (shape,)
        return S.transpose(S.reshape(S.transpose(a), tuple(shape)[::-1]))
    return S.reshape(a, shape)


def _fortran(a, order, fname, allowed):
    """Whether `order` reads the array in Fortran order ("A" and "K" follow the value's memory
    layout, as NumPy)."""
    key = "C" if order is None else order.upper() if isinstance(order, str) else order
    if key not in allowed:
        raise ValueError(f"{fname}: order must be one of {', '.join(map(repr, allowed))}, "
                         f"got {order!r}")
    if key in ("A", "K"):
        value = bottom(a)  # its layout only (a staged value's is fixed per recording)
        if not isinstance(value, (np.ndarray, Tracer)) or len(shape_of(value)) < 2 or \
                value.flags.c_contiguous:
            return False
        if value.flags.f_contiguous:
            return True
        if key == "K":
            raise NotImplementedError(f"autodiff.numpy.{fname}(order='K') of a value that is "
                                      "neither C- nor Fortran-contiguous (NumPy follows its "
                                      "strides); pass order='C' or 'F'")
        return False
    return key == "F"


@serves()
def ravel(a, order="C"):
    """np.ravel, in C or Fortran order ("A" and "K" as NumPy: Fortran for a Fortran-contiguous
    value)."""
    a = _as_array(a)
    if _fortran(a, order, "ravel", ("C", "F", "A", "K")):
        return S.reshape(S.transpose(a), (-1,))
    return S.reshape(a, (-1,))


def _each(fn, arys):
    out = tuple(fn(_as_array(a)) for a in arys)
    return out[0] if len(out) == 1 else out


@serves()
def atleast_1d(*arys):
    """np.atleast_1d (one array, or a tuple for several)."""
    return _each(lambda a: S.reshape(a, (1,)) if _ndim(a) == 0 else a, arys)


@serves()
def atleast_2d(*arys):
    """np.atleast_2d (one array, or a tuple for several)."""
    return _each(lambda a: S.reshape(a, (1,) * (2 - _ndim(a)) + shape_of(a)) if _ndim(a) < 2
                 else a, arys)


def _cast_all(fname, arrays, dtype, casting):
    arrays = [_as_array(a) for a in arrays]
    if dtype is None:
        return arrays
    return [cast(a, dtype, fname, casting) for a in arrays]


@serves()
def concatenate(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """np.concatenate (axis=None flattens first)."""
    no_out("concatenate", out)
    return S.concatenate(_cast_all("concatenate", arrays, dtype, casting), axis)


@serves()
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """np.stack."""
    no_out("stack", out)
    arrays = _cast_all("stack", arrays, dtype, casting)
    if not arrays:
        raise ValueError("need at least one array to stack")
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    axis = normalize_axis(axis, _ndim(arrays[0]) + 1)
    return S.concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


@serves()
def hstack(tup, *, dtype=None, casting="same_kind"):
    """np.hstack."""
    arrays = [atleast_1d(a) for a in _cast_all("hstack", tup, dtype, casting)]
    return S.concatenate(arrays, axis=0 if _ndim(arrays[0]) == 1 else 1)


@serves()
def vstack(tup, *, dtype=None, casting="same_kind"):
    """np.vstack."""
    return S.concatenate([atleast_2d(a) for a in _cast_all("vstack", tup, dtype, casting)],
                         axis=0)


@serves()
def transpose(a, axes=None):
    """np.transpose."""
    a = _as_array(a)
    return S.transpose(a, axes)


@serves()
def broadcast_to(array, shape, subok=False):
    """np.broadcast_to (subok has no effect: there are no array subclasses to keep)."""
    array = _as_array(array)
    return B.broadcast_to(array, shape)


@serves()
def flip(m, axis=None):
    """np.flip."""
    m = _as_array(m)
    nd = _ndim(m)
    axes = normalize_axes(axis, nd)
    return getitem(m, tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(nd)))


def _take_axis(x, indices, axis):
    nd = _ndim(x)
    return getitem(x, (slice(None),) * axis + (np.asarray(indices, dtype=np.intp),) +
                   (slice(None),) * (nd - axis - 1))


@serves()
def take(a, indices, axis=None, out=None, mode="raise"):
    """np.take (integer indices along one axis, or into the flattened array); mode "wrap" and
    "clip" bring out-of-range indices back in range, as NumPy."""
    a = _as_array(a)
    no_out("take", out)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, _ndim(a))
    indices = np.asarray(indices)
    n = shape_of(a)[axis]
    if mode == "wrap":
        indices = indices % n
    elif mode == "clip":
        indices = np.clip(indices, 0, n - 1)
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    return getitem(a, (slice(None),) * axis + (indices,))


@serves()
def roll(a, shift, axis=None):
    """np.roll."""
    a = _as_array(a)
    if axis is None:
        return S.reshape(roll(ravel(a), shift, 0), shape_of(a))
    for s, i in zip(np.atleast_1d(shift), np.atleast_1d(axis)):
        i = normalize_axis(i, _ndim(a))
        n = shape_of(a)[i]
        a = _take_axis(a, (np.arange(n) - int(s)) % max(n, 1), i)
    return a


@serves()
def repeat(a, repeats, axis=None):
    """np.repeat."""
    a = _as_array(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, _ndim(a))
    return _take_axis(a, np.repeat(np.arange(shape_of(a)[axis]), repeats), axis)


@serves()
def tile(A, reps):
    """np.tile."""
    A = _as_array(A)
    reps = tuple(np.atleast_1d(reps).tolist())
    shape = shape_of(A)
    nd = max(len(shape), len(reps))
    shape = (1,) * (nd - len(shape)) + tuple(shape)
    reps = (1,) * (nd - len(reps)) + reps
    inter = tuple(v for s in shape for v in (1, s))
    y = B.broadcast_to(S.reshape(A, inter), tuple(v for r, s in zip(reps, shape) for v in (r, s)))
    return S.reshape(y, tuple(r * s for r, s in zip(reps, shape)))


@serves()
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """np.sort: the derivative follows each entry to its sorted place. The sort is stable
    whatever kind/stable ask for (equal entries' values do not depend on it)."""
    a = _as_array(a)
    if order is not None:
        raise refuse("sort", "order", "it sorts structured arrays by field")
    if axis is None:
        a, axis = ravel(a), 0
    return take_along_axis(a, np.argsort(bottom(a), axis=axis, kind="stable"), axis)


@serves()
def take_along_axis(arr, indices, axis=-1):
    """np.take_along_axis."""
    arr = _as_array(arr)
    nd = _ndim(arr)
    axis = normalize_axis(axis, nd)
    indices = np.asarray(indices)
    grids = np.ogrid[tuple(slice(n) for n in indices.shape)]
    index = tuple(indices if a == axis else np.broadcast_to(grids[a], indices.shape)
                  for a in range(nd))
    return getitem(arr, index)


# --- products built on matmul / einsum ------------------------------------------------------
@serves()
def dot(a, b, out=None):
    """np.dot."""
    a, b = _as_array(a), _as_array(b)
    no_out("dot", out)
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        return a * b
    if nb <= 2:
        return P.matmul(a, b)
    return tensordot(a, b, axes=([na - 1], [nb - 2]))


@serves()
def angle(z, deg=False):
    """np.angle: arctan2(imag z, real z) (in degrees with deg=True); constant for real z."""
    z = _as_array(z)
    a = E.arctan2(C.imag(z), C.real(z))
    return a * (180.0 / np.pi) if deg else a


@serves()
def vdot(a, b):
    """np.vdot: the sum of the flattened arrays' products, the first conjugated."""
    a, b = _as_array(a), _as_array(b)
    a = C.conj(a)
    return P.matmul(ravel(a), ravel(b))


@serves()
def inner(a, b):
    """np.inner."""
    a, b = _as_array(a), _as_array(b)
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        return a * b
    return tensordot(a, b, axes=([na - 1], [nb - 1]))


@serves()
def outer(a, b, out=None):
    """np.outer (of the flattened inputs)."""
    a, b = _as_array(a), _as_array(b)
    no_out("outer", out)
    return S.reshape(a, (-1, 1)) * S.reshape(b, (1, -1))


@serves()
def tensordot(a, b, axes=2):
    """np.tensordot."""
    a, b = _as_array(a), _as_array(b)
    na, nb = _ndim(a), _ndim(b)
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(na - axes, na)), list(range(axes))
    else:
        axes_a, axes_b = [np.atleast_1d(ax).tolist() for ax in axes]
    axes_a = [normalize_axis(x, na) for x in axes_a]
    axes_b = [normalize_axis(x, nb) for x in axes_b]
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    sa = [next(letters) for _ in range(na)]
    sb = [next(letters) for _ in range(nb)]
    for x, y in zip(axes_a, axes_b):
        sb[y] = sa[x]
    out = [c for i, c in enumerate(sa) if i not in axes_a] + \
          [c for i, c in enumerate(sb) if i not in axes_b]
    return P.einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


@serves()
def diagonal(a, offset=0, axis1=0, axis2=1):
    """np.diagonal (the diagonal axis comes last, as in NumPy)."""
    a = _as_array(a)
    nd = _ndim(a)
    y = moveaxis(a, [axis1, axis2], [nd - 2, nd - 1])
    n, m = shape_of(y)[-2:]
    i0, j0 = max(-offset, 0), max(offset, 0)
    d = max(0, min(n - i0, m - j0))
    return getitem(y, (Ellipsis, np.arange(i0, i0 + d), np.arange(j0, j0 + d)))


@serves()
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """np.trace."""
    a = _as_array(a)
    no_out("trace", out)
    a = cast(a, dtype, "trace")
    return R.sum(diagonal(a, offset, axis1, axis2), axis=-1)


@serves()
def diag(v, k=0):
    """np.diag: the k-th diagonal of a matrix, or a matrix with v on its k-th diagonal."""
    v = _as_array(v)
    nd = _ndim(v)
    if nd == 2:
        return diagonal(v, k)
    if nd != 1:
        raise ValueError("diag requires a 1-d or 2-d input")
    n = shape_of(v)[0]
    size = n + abs(k)
    rows = np.arange(n) + max(-k, 0)
    return S.index_add_p(v, index=(rows, rows + k), shape=(size, size), lead=0)


# --- arrays ----------------------------------------------------------------------------------
def _contains_tracer(obj):
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return builtins.any(_contains_tracer(o) for o in obj)
    return False


@serves()
def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, ndmax=NOT_GIVEN,
          like=None):
    """np.array, also for (nested) lists holding traced values, which are stacked. copy, order
    and subok have no effect on traced values (immutable, with no layout or subclass to keep)."""
    if not _contains_tracer(object):
        extra = {} if ndmax is NOT_GIVEN else {"ndmax": ndmax}
        return np.array(object, dtype=dtype, copy=copy, order=order, subok=subok, ndmin=ndmin,
                        like=like, **extra)
    for keyword, value in (("ndmax", ndmax is not NOT_GIVEN), ("like", like is not None)):
        if value:
            raise refuse("array", keyword, "it is not supported for traced values")
    if isinstance(object, Tracer):
        out = object
    else:
        out = stack([array(o) for o in object])
    out = cast(out, dtype, "array")
    nd = _ndim(out)
    return S.reshape(out, (1,) * (ndmin - nd) + shape_of(out)) if nd < ndmin else out


@serves()
def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """np.asarray: traced values pass through unchanged (order and copy have no effect on
    them)."""
    if not _contains_tracer(a):
        return np.asarray(a, dtype=dtype, order=order, device=device, copy=copy, like=like)
    if device not in (None, "cpu"):
        raise ValueError(f"asarray: device must be 'cpu' or None, got {device!r}")
    return array(a, dtype, like=like)


@serves("mod", "remainder")
def mod(x, y):
    """np.mod / the % operator: x - floor(x / y) * y (the floor is piecewise constant)."""
    x, y = _as_array(x), _as_array(y)
    return x - np.floor(np.true_divide(bottom(x), bottom(y))) * y


@serves()
def positive(x):
    """np.positive."""
    x = _as_array(x)
    return x


@serves()
def diff(a, n=1, axis=-1, prepend=NOT_GIVEN, append=NOT_GIVEN):
    """np.diff (prepend / append values, which may be traced, join `a` along the axis first)."""
    a, prepend, append = _as_array(a), _as_array(prepend), _as_array(append)
    axis = normalize_axis(axis, _ndim(a))
    ends = [(prepend, 0), (append, 1)]
    if prepend is not NOT_GIVEN or append is not NOT_GIVEN:
        parts = [a]
        for value, at in ends:
            if value is NOT_GIVEN:
                continue
            if _ndim(value) == 0:
                shape = shape_of(a)
                value = B.broadcast_to(value, shape[:axis] + (1,) + shape[axis + 1:])
            parts.insert(len(parts) if at else 0, value)
        a = S.concatenate(parts, axis)
    for _ in range(n):
        m = shape_of(a)[axis]
        head = (slice(None),) * axis
        a = getitem(a, head + (slice(1, m),)) - getitem(a, head + (slice(0, m - 1),))
    return a


def _triangle_mask(x, k, lower):
    n, m = shape_of(x)[-2:]
    return np.tril(np.ones((n, m)), k) if lower else np.triu(np.ones((n, m)), k)


@serves()
def tril(m, k=0):
    """np.tril (on the last two axes)."""
    m = _as_array(m)
    return m * _triangle_mask(m, k, True)


@serves()
def triu(m, k=0):
    """np.triu (on the last two axes)."""
    m = _as_array(m)
    return m * _triangle_mask(m, k, False)


@serves()
def pad(array, pad_width, mode="constant", **kwargs):
    """np.pad, constant mode: the input placed inside a constant frame (constant_values a
    number or NumPy's per-axis (before, after) pairs)."""
    array = _as_array(array)
    if mode != "constant":
        raise NotImplementedError(f"autodiff.numpy.pad supports mode='constant' only, got {mode!r}")
    constant_values = kwargs.pop("constant_values", 0)
    if kwargs:
        raise refuse("pad", sorted(kwargs)[0], "mode='constant' takes constant_values only")
    if _contains_tracer(constant_values):
        raise NotImplementedError("autodiff.numpy.pad: constant_values must be constant")
    shape = shape_of(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(shape), 2))
    out_shape = tuple(int(s + a + b) for s, (a, b) in zip(shape, widths))
    index = tuple(slice(int(a), int(a) + s) for s, (a, _) in zip(shape, widths))
    inside = S.index_add_p(array, index=index, shape=out_shape, lead=0)
    if np.all(np.asarray(constant_values) == 0):
        return inside
    return inside + np.pad(np.zeros(shape), widths, constant_values=constant_values)


@serves()
def ptp(a, axis=None, out=None, keepdims=False):
    """np.ptp: max - min."""
    a = _as_array(a)
    no_out("ptp", out)
    return R.amax(a, axis, keepdims) - R.amin(a, axis, keepdims)


@serves()
def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """np.average (with optional weights, which may be traced too; returned=True also gives
    the sum of the weights)."""
    a, weights = _as_array(a), _as_array(weights)
    if weights is None:
        avg = mean(a, axis, keepdims=keepdims)
        total = _count(a, axis)
    else:
        if axis is not None and _ndim(weights) == 1 and _ndim(a) > 1:
            shape = [1] * _ndim(a)
            shape[normalize_axis(axis, _ndim(a))] = shape_of(weights)[0]
            weights = S.reshape(weights, tuple(shape))
        if shape_of(weights) != shape_of(a):
            weights = B.broadcast_to(weights, shape_of(a))
        total = R.sum(weights, axis, keepdims)
        avg = R.sum(a * weights, axis, keepdims) / total
    if not returned:
        return avg
    if shape_of(total) != shape_of(avg):
        total = B.broadcast_to(total, shape_of(avg))
    return avg, total


@serves()
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """np.median: the middle of the sorted values (the mean of the two middle ones).
    overwrite_input has no effect (traced values are never modified)."""
    a = _as_array(a)
    no_out("median", out)
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, _ndim(a))
    s = sort(a, axis)
    n = shape_of(a)[axis]
    mid = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    m = mean(_take_axis(s, mid, axis), axis=axis)
    if keepdims:
        m = S.reshape(m, tuple(1 if i in axes else d for i, d in enumerate(shape)))
    return m


@serves()
def split(ary, indices_or_sections, axis=0):
    """np.split: a list of differentiable pieces."""
    ary = _as_array(ary)
    axis = normalize_axis(axis, _ndim(ary))
    n = shape_of(ary)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
        step = n // indices_or_sections
        bounds = list(range(step, n, step))
    else:
        bounds = list(indices_or_sections)
    edges = [0] + bounds + [n]
    head = (slice(None),) * axis
    return [getitem(ary, head + (slice(a, b),)) for a, b in zip(edges[:-1], edges[1:])]


@serves("trapezoid", "trapz")
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """np.trapezoid (np.trapz): the trapezoidal rule; y and x may both be traced."""
    y, x = _as_array(y), _as_array(x)
    axis = normalize_axis(axis, _ndim(y))
    n = shape_of(y)[axis]
    head = (slice(None),) * axis
    lo, hi = getitem(y, head + (slice(0, n - 1),)), getitem(y, head + (slice(1, n),))
    if x is None:
        return R.sum(lo + hi, axis=axis) * (0.5 * dx)
    d = diff(x, axis=-1 if _ndim(x) == 1 else axis)
    if _ndim(x) == 1 and _ndim(y) > 1:
        d = S.reshape(d, tuple(-1 if a == axis else 1 for a in range(_ndim(y))))
    return R.sum((lo + hi) * d, axis=axis) * 0.5


@serves()
def cumprod(a, axis=None, dtype=None, out=None):
    """np.cumprod as a parallel prefix product (log2 n steps of shifted products): exact
    derivatives of every order, zeros included."""
    a = _as_array(a)
    no_out("cumprod", out)
    x = cast(a, dtype, "cumprod")
    if axis is None:
        x, axis = ravel(x), 0
    axis = normalize_axis(axis, _ndim(x))
    n = shape_of(x)[axis]
    head = (slice(None),) * axis
    shift = 1
    while shift < n:
        ones = np.ones(shape_of(x)[:axis] + (shift,) + shape_of(x)[axis + 1:],
                       dtype=np.result_type(dtype_of(x)))
        shifted = S.concatenate([ones, getitem(x, head + (slice(0, n - shift),))], axis=axis)
        x = x * shifted
        shift *= 2
    return x


@serves()
def kron(a, b):
    """np.kron of arrays of any ranks: the lower-rank operand gains leading axes of length 1,
    then each axis of `a` is interleaved with the matching axis of `b` in one broadcast
    product (as NumPy)."""
    a, b = _as_array(a), _as_array(b)
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        return a * b
    nd = max(na, nb)
    sa = (1,) * (nd - na) + tuple(shape_of(a))
    sb = (1,) * (nd - nb) + tuple(shape_of(b))
    y = S.reshape(a, tuple(v for n in sa for v in (n, 1))) * \
        S.reshape(b, tuple(v for n in sb for v in (1, n)))
    return S.reshape(y, tuple(p * q for p, q in zip(sa, sb)))


@serves()
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """np.cross of 3-vectors, or of 2-vectors as NumPy (deprecated there, with its warning: the
    missing z component is 0, and two 2-vectors give the z component alone), along any axis:
    axisa, axisb, axisc, or axis for all three."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _as_array(a), _as_array(b)
    if _ndim(a) < 1 or _ndim(b) < 1:
        raise ValueError("At least one array has zero dimension")
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    da, db = shape_of(a)[-1], shape_of(b)[-1]
    if da not in (2, 3) or db not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n"
                         "(dimension must be 2 or 3)")
    if da == 2 or db == 2:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=2)
    c = lambda v, i: getitem(v, (Ellipsis, i))
    z = c(a, 0) * c(b, 1) - c(a, 1) * c(b, 0)
    if da == 2 and db == 2:
        return z
    if da == 2:
        x, y = c(a, 1) * c(b, 2), -(c(a, 0) * c(b, 2))
    elif db == 2:
        x, y = -(c(a, 2) * c(b, 1)), c(a, 2) * c(b, 0)
    else:
        x, y = c(a, 1) * c(b, 2) - c(a, 2) * c(b, 1), c(a, 2) * c(b, 0) - c(a, 0) * c(b, 2)
    return moveaxis(stack([x, y, z], axis=-1), -1, axisc)


@serves("deg2rad", "radians")
def deg2rad(x):
    """np.deg2rad."""
    x = _as_array(x)
    return x * (np.pi / 180.0)


@serves("rad2deg", "degrees")
def rad2deg(x):
    """np.rad2deg."""
    x = _as_array(x)
    return x * (180.0 / np.pi)


@serves()
def convolve(a, v, mode="full"):
    """np.convolve (1-D; 'full', 'same', 'valid'; a 0-d operand is a length-1 array, as in
    NumPy), as a sum of shifted products: both inputs may be traced. Best for short kernels
    (one product per kernel tap)."""
    a, v = atleast_1d(_as_array(a)), atleast_1d(_as_array(v))
    if _ndim(a) != 1 or _ndim(v) != 1:
        raise ValueError("convolve: a and v must be 1-D (or 0-d) arrays")
    n, m = shape_of(a)[0], shape_of(v)[0]
    if n == 0 or m == 0:
        raise ValueError(f"{'a' if n == 0 else 'v'} cannot be empty")
    key = mode.lower()[:1] if isinstance(mode, str) else mode
    if key not in ("f", "s", "v"):
        raise ValueError(f"mode must be 'full', 'same' or 'valid', got {mode!r}")
    if m > n:
        a, v, n, m = v, a, m, n
    size = n + m - 1
    full = None
    for k in range(m):
        term = E.multiply(getitem(v, k), a)
        term = pad(term, ((k, m - 1 - k),))
        full = term if full is None else full + term
    if key == "f":
        return full
    if key == "s":
        start = (size - n) // 2
        return getitem(full, slice(start, start + n))
    return getitem(full, slice(m - 1, n))


@serves()
def interp(x, xp, fp, left=None, right=None, period=None):
    """np.interp: piecewise-linear; differentiable in x (the local slope) and in fp, with the
    breakpoints xp constant."""
    x, xp, fp = _as_array(x), _as_array(xp), _as_array(fp)
    if period is not None:
        raise refuse("interp", "period", "periodic interpolation is not implemented; wrap x "
                     "into one period first (x % period) and extend xp, fp by one period")
    if isinstance(xp, Tracer):
        raise NotImplementedError("autodiff.numpy.interp: xp (the breakpoints) must be constant")
    xv, xpv = bottom(x), np.asarray(xp, dtype=float)
    if isinstance(xv, Tracer):  # staged (ad.jit): the interval found by staged steps, not read
        k = np.count_nonzero(xv[..., None] >= xpv, axis=-1)  # = searchsorted(side="right")
    else:
        xv = np.asarray(xv, dtype=float)
        k = np.searchsorted(xpv, xv, side="right")
    k = np.clip(k - 1, 0, len(xpv) - 2)
    x0, x1 = xpv[k], xpv[k + 1]
    f0, f1 = take(fp, k), take(fp, k + 1)
    w = (x - x0) / (x1 - x0)
    out = f0 + w * (f1 - f0)
    below, above = xv < xpv[0], xv > xpv[-1]
    if below.any():
        out = E.where(below, take(fp, 0) if left is None else left, out)
    if above.any():
        out = E.where(above, take(fp, len(xpv) - 1) if right is None else right, out)
    return out


# --- NumPy signatures over the primitives ------------------------------------------------------
def _sublist_form(args):
    """einsum(op0, sublist0, op1, sublist1, ..., [sublistout]) as (spec, op0, op1, ...)."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def subscripts(sub):
        try:
            return "".join("..." if s is Ellipsis else letters[s] for s in sub)
        except (TypeError, IndexError):
            raise ValueError(f"einsum: a sublist holds axis numbers 0..51 or Ellipsis, got "
                             f"{sub!r}") from None
    ops, subs = list(args[0::2]), list(args[1::2])
    out = None
    if len(ops) > len(subs):  # an odd count: the last is the output sublist
        out = ops.pop()
    spec = ",".join(subscripts(s) for s in subs)
    if out is not None:
        spec += "->" + subscripts(out)
    return (spec,) + tuple(ops)


@serves()
def einsum(*operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    """np.einsum with a subscript string. optimize (a speed hint: autodiff picks its own
    contraction order) and order (memory layout) have no effect on the values."""
    no_out("einsum", out)
    if operands and not isinstance(operands[0], str):
        operands = _sublist_form(operands)
    operands = operands[:1] + tuple(_as_array(o) for o in operands[1:])
    if dtype is not None:
        operands = operands[:1] + tuple(cast(o, dtype, "einsum", casting) for o in operands[1:])
    return P.einsum(*operands)


@serves()
def clip(a, a_min=NOT_GIVEN, a_max=NOT_GIVEN, out=None, *, min=NOT_GIVEN,  # noqa: A002
         max=NOT_GIVEN, **kwargs):  # noqa: A002
    """np.clip (bounds by position or as NumPy 2's min= / max=): derivative 1 inside
    [min, max] (bounds included), else to the bound."""
    for name, given, alias in (("min", a_min, min), ("max", a_max, max)):
        if given is not NOT_GIVEN and alias is not NOT_GIVEN:
            raise ValueError(f"clip: pass a_{name} or {name}, not both")
    lo = a_min if min is NOT_GIVEN else min
    hi = a_max if max is NOT_GIVEN else max
    a, lo, hi = (None if v is NOT_GIVEN else _as_array(v) for v in (a, lo, hi))
    a, lo, hi = ufunc_inputs("clip", [a, lo, hi], dict(kwargs, out=out))
    if lo is None and hi is None:
        return a
    return E.clip(a, lo, hi)
