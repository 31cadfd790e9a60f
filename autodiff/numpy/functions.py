"""NumPy functions composed from the primitives: they need no rules of their own, since their
derivatives (of every order) follow from the primitives they are built of."""
import builtins

import numpy as np

from ..core.tracer import Tracer, primal
from ..primitives import elementwise as E, reductions as R, shape as S, products as P
from ..primitives.shape import shape_of, normalize_axis, normalize_axes, reshape, getitem

def _ndim(x):
    return len(shape_of(x))


# --- reductions built on sum ------------------------------------------------------------------
def _count(x, axis):
    shape = shape_of(x)
    return int(np.prod([shape[a] for a in normalize_axes(axis, len(shape))]))


def mean(x, axis=None, keepdims=False):
    """np.mean."""
    return R.sum(x, axis, keepdims) / _count(x, axis)


def var(x, axis=None, ddof=0, keepdims=False):
    """np.var (with ddof)."""
    d = x - mean(x, axis, keepdims=True)
    return R.sum(d * d, axis, keepdims) / (_count(x, axis) - ddof)


def std(x, axis=None, ddof=0, keepdims=False):
    """np.std (with ddof); its derivative is infinite where the spread is zero."""
    return E.sqrt(var(x, axis, ddof, keepdims))


def prod(x, axis=None, keepdims=False):
    """np.prod as a tree of pairwise products: exact derivatives of every order, zeros included
    (no division by the entries)."""
    shape = shape_of(x)
    axes = normalize_axes(axis, len(shape))
    rest = [a for a in range(len(shape)) if a not in axes]
    y = S.transpose(x, rest + list(axes))
    y = reshape(y, tuple(shape[a] for a in rest) + (-1,) if axes else tuple(shape) + (1,))
    while shape_of(y)[-1] > 1:
        m = shape_of(y)[-1]
        if m % 2:
            pad = np.ones(shape_of(y)[:-1] + (1,), dtype=np.result_type(primal(y)))
            y = S.concatenate([y, pad], axis=-1)
        y = getitem(y, (Ellipsis, slice(0, None, 2))) * getitem(y, (Ellipsis, slice(1, None, 2)))
    if shape_of(y)[-1] == 0:
        y = np.ones(shape_of(y)[:-1], dtype=np.result_type(primal(x), 1.0))
    else:
        y = reshape(y, shape_of(y)[:-1])
    if keepdims:
        y = reshape(y, tuple(1 if i in axes else s for i, s in enumerate(shape)))
    return y


# --- shape manipulation ------------------------------------------------------------------------
def swapaxes(x, axis1, axis2):
    """np.swapaxes."""
    nd = _ndim(x)
    axes = list(range(nd))
    a, b = normalize_axis(axis1, nd), normalize_axis(axis2, nd)
    axes[a], axes[b] = axes[b], axes[a]
    return S.transpose(x, axes)


def moveaxis(x, source, destination):
    """np.moveaxis."""
    nd = _ndim(x)
    src = [normalize_axis(a, nd) for a in np.atleast_1d(source)]
    dst = [normalize_axis(a, nd) for a in np.atleast_1d(destination)]
    order = [a for a in range(nd) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return S.transpose(x, order)


def expand_dims(x, axis):
    """np.expand_dims."""
    shape = list(shape_of(x))
    axes = normalize_axes(axis, len(shape) + len(np.atleast_1d(axis)))
    for a in axes:
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


def squeeze(x, axis=None):
    """np.squeeze."""
    shape = shape_of(x)
    axes = [a for a, s in enumerate(shape) if s == 1] if axis is None else normalize_axes(axis, len(shape))
    for a in axes:
        if shape[a] != 1:
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return reshape(x, tuple(s for a, s in enumerate(shape) if a not in axes))


def ravel(x):
    """np.ravel (a copy, C order)."""
    return reshape(x, (-1,))


def atleast_1d(x):
    return reshape(x, (1,)) if _ndim(x) == 0 else x


def atleast_2d(x):
    nd = _ndim(x)
    return reshape(x, (1,) * (2 - nd) + shape_of(x)) if nd < 2 else x


def stack(arrays, axis=0):
    """np.stack."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("need at least one array to stack")
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    axis = normalize_axis(axis, _ndim(arrays[0]) + 1)
    return S.concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


def hstack(arrays):
    """np.hstack."""
    arrays = [atleast_1d(a) for a in arrays]
    return S.concatenate(arrays, axis=0 if _ndim(arrays[0]) == 1 else 1)


def vstack(arrays):
    """np.vstack."""
    return S.concatenate([atleast_2d(a) for a in arrays], axis=0)


def flip(x, axis=None):
    """np.flip."""
    nd = _ndim(x)
    axes = normalize_axes(axis, nd)
    return getitem(x, tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(nd)))


def _take_axis(x, indices, axis):
    nd = _ndim(x)
    return getitem(x, (slice(None),) * axis + (np.asarray(indices, dtype=np.intp),) +
                   (slice(None),) * (nd - axis - 1))


def take(x, indices, axis=None):
    """np.take (integer indices along one axis, or into the flattened array)."""
    if axis is None:
        return getitem(ravel(x), np.asarray(indices))
    return getitem(x, (slice(None),) * normalize_axis(axis, _ndim(x)) + (np.asarray(indices),))


def roll(x, shift, axis=None):
    """np.roll."""
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), shape_of(x))
    for s, a in zip(np.atleast_1d(shift), np.atleast_1d(axis)):
        a = normalize_axis(a, _ndim(x))
        n = shape_of(x)[a]
        x = _take_axis(x, (np.arange(n) - int(s)) % max(n, 1), a)
    return x


def repeat(x, repeats, axis=None):
    """np.repeat."""
    if axis is None:
        x, axis = ravel(x), 0
    axis = normalize_axis(axis, _ndim(x))
    return _take_axis(x, np.repeat(np.arange(shape_of(x)[axis]), repeats), axis)


def tile(x, reps):
    """np.tile."""
    reps = tuple(np.atleast_1d(reps).tolist())
    shape = shape_of(x)
    nd = max(len(shape), len(reps))
    shape = (1,) * (nd - len(shape)) + tuple(shape)
    reps = (1,) * (nd - len(reps)) + reps
    inter = tuple(v for s in shape for v in (1, s))
    y = S.broadcast_to(reshape(x, inter), tuple(v for r, s in zip(reps, shape) for v in (r, s)))
    return reshape(y, tuple(r * s for r, s in zip(reps, shape)))


def sort(x, axis=-1):
    """np.sort: the derivative follows each entry to its sorted place."""
    if axis is None:
        x, axis = ravel(x), 0
    return take_along_axis(x, np.argsort(primal(x), axis=axis, kind="stable"), axis)


def take_along_axis(x, indices, axis):
    """np.take_along_axis."""
    nd = _ndim(x)
    axis = normalize_axis(axis, nd)
    indices = np.asarray(indices)
    grids = np.ogrid[tuple(slice(n) for n in indices.shape)]
    index = tuple(indices if a == axis else np.broadcast_to(grids[a], indices.shape)
                  for a in range(nd))
    return getitem(x, index)


# --- products built on matmul / einsum ------------------------------------------------------
def dot(a, b):
    """np.dot."""
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        return a * b
    if nb <= 2:
        return P.matmul(a, b)
    return tensordot(a, b, axes=([na - 1], [nb - 2]))


def vdot(a, b):
    """np.vdot (real arrays): the sum of the flattened arrays' products."""
    return P.matmul(ravel(a), ravel(b))


def inner(a, b):
    """np.inner."""
    na, nb = _ndim(a), _ndim(b)
    if na == 0 or nb == 0:
        return a * b
    return tensordot(a, b, axes=([na - 1], [nb - 1]))


def outer(a, b):
    """np.outer."""
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def tensordot(a, b, axes=2):
    """np.tensordot."""
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


def diagonal(x, offset=0, axis1=0, axis2=1):
    """np.diagonal (the diagonal axis comes last, as in NumPy)."""
    nd = _ndim(x)
    y = moveaxis(x, [axis1, axis2], [nd - 2, nd - 1])
    n, m = shape_of(y)[-2:]
    i0, j0 = max(-offset, 0), max(offset, 0)
    d = max(0, min(n - i0, m - j0))
    return getitem(y, (Ellipsis, np.arange(i0, i0 + d), np.arange(j0, j0 + d)))


def trace(x, offset=0, axis1=0, axis2=1):
    """np.trace."""
    return R.sum(diagonal(x, offset, axis1, axis2), axis=-1)


def diag(v, k=0):
    """np.diag: the k-th diagonal of a matrix, or a matrix with v on its k-th diagonal."""
    nd = _ndim(v)
    if nd == 2:
        return diagonal(v, k)
    if nd != 1:
        raise ValueError("diag requires a 1-d or 2-d input")
    n = shape_of(v)[0]
    size = n + abs(k)
    rows = np.arange(n) + max(-k, 0)
    return S.index_add_p(v, index=(rows, rows + k), shape=(size, size), nb=0)


# --- arrays ----------------------------------------------------------------------------------
def _contains_tracer(obj):
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return builtins.any(_contains_tracer(o) for o in obj)
    return False


def array(obj, dtype=None):
    """np.array, also for (nested) lists holding traced values, which are stacked."""
    if isinstance(obj, Tracer):
        return obj if dtype is None else obj.astype(dtype)
    if isinstance(obj, (list, tuple)) and _contains_tracer(obj):
        return stack([array(o) for o in obj])
    return np.array(obj, dtype=dtype)


def asarray(obj, dtype=None):
    """np.asarray: traced values pass through unchanged."""
    if isinstance(obj, Tracer) or _contains_tracer(obj):
        return array(obj, dtype)
    return np.asarray(obj, dtype=dtype)


def mod(x, y):
    """np.mod / the % operator: x - floor(x / y) * y (the floor is piecewise constant)."""
    return x - np.floor(np.true_divide(primal(x), primal(y))) * y


def positive(x):
    """np.positive."""
    return x


def diff(x, n=1, axis=-1):
    """np.diff."""
    axis = normalize_axis(axis, _ndim(x))
    for _ in range(n):
        m = shape_of(x)[axis]
        head = (slice(None),) * axis
        x = getitem(x, head + (slice(1, m),)) - getitem(x, head + (slice(0, m - 1),))
    return x


def _triangle_mask(x, k, lower):
    n, m = shape_of(x)[-2:]
    return np.tril(np.ones((n, m)), k) if lower else np.triu(np.ones((n, m)), k)


def tril(x, k=0):
    """np.tril (on the last two axes)."""
    return x * _triangle_mask(x, k, True)


def triu(x, k=0):
    """np.triu (on the last two axes)."""
    return x * _triangle_mask(x, k, False)


def pad(x, pad_width, mode="constant", constant_values=0.0):
    """np.pad, constant mode: the input placed inside a constant frame."""
    if mode != "constant":
        raise NotImplementedError(f"autodiff.numpy.pad supports mode='constant' only, got {mode!r}")
    shape = shape_of(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (len(shape), 2))
    out_shape = tuple(int(s + a + b) for s, (a, b) in zip(shape, widths))
    index = tuple(slice(int(a), int(a) + s) for s, (a, _) in zip(shape, widths))
    inside = S.index_add_p(x, index=index, shape=out_shape, nb=0)
    if constant_values == 0:
        return inside
    frame = np.full(out_shape, float(constant_values))
    frame[index] = 0.0
    return inside + frame


def ptp(x, axis=None, keepdims=False):
    """np.ptp: max - min."""
    return R.amax(x, axis, keepdims) - R.amin(x, axis, keepdims)


def average(x, axis=None, weights=None):
    """np.average (with optional weights, which may be traced too)."""
    if weights is None:
        return mean(x, axis)
    if axis is not None and _ndim(weights) == 1 and _ndim(x) > 1:
        shape = [1] * _ndim(x)
        shape[normalize_axis(axis, _ndim(x))] = shape_of(weights)[0]
        weights = reshape(weights, tuple(shape))
    return R.sum(x * weights, axis) / R.sum(S.broadcast_to(weights, shape_of(x)) if
                                           shape_of(weights) != shape_of(x) else weights, axis)


def median(x, axis=None):
    """np.median: the middle of the sorted values (the mean of the two middle ones)."""
    if axis is None:
        x, axis = ravel(x), 0
    axis = normalize_axis(axis, _ndim(x))
    s = sort(x, axis)
    n = shape_of(x)[axis]
    mid = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    return mean(_take_axis(s, mid, axis), axis=axis)


def split(x, indices_or_sections, axis=0):
    """np.split: a list of differentiable pieces."""
    axis = normalize_axis(axis, _ndim(x))
    n = shape_of(x)[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
        step = n // indices_or_sections
        bounds = list(range(step, n, step))
    else:
        bounds = list(indices_or_sections)
    edges = [0] + bounds + [n]
    head = (slice(None),) * axis
    return [getitem(x, head + (slice(a, b),)) for a, b in zip(edges[:-1], edges[1:])]


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """np.trapezoid (np.trapz): the trapezoidal rule; y and x may both be traced."""
    axis = normalize_axis(axis, _ndim(y))
    n = shape_of(y)[axis]
    head = (slice(None),) * axis
    lo, hi = getitem(y, head + (slice(0, n - 1),)), getitem(y, head + (slice(1, n),))
    if x is None:
        return R.sum(lo + hi, axis=axis) * (0.5 * dx)
    d = diff(x, axis=-1 if _ndim(x) == 1 else axis)
    if _ndim(x) == 1 and _ndim(y) > 1:
        d = reshape(d, tuple(-1 if a == axis else 1 for a in range(_ndim(y))))
    return R.sum((lo + hi) * d, axis=axis) * 0.5


def cumprod(x, axis=None):
    """np.cumprod as a parallel prefix product (log2 n steps of shifted products): exact
    derivatives of every order, zeros included."""
    if axis is None:
        x, axis = ravel(x), 0
    axis = normalize_axis(axis, _ndim(x))
    n = shape_of(x)[axis]
    head = (slice(None),) * axis
    shift = 1
    while shift < n:
        ones = np.ones(shape_of(x)[:axis] + (shift,) + shape_of(x)[axis + 1:],
                       dtype=np.result_type(primal(x)))
        shifted = S.concatenate([ones, getitem(x, head + (slice(0, n - shift),))], axis=axis)
        x = x * shifted
        shift *= 2
    return x


def kron(a, b):
    """np.kron for matrices and vectors."""
    na, nb = _ndim(a), _ndim(b)
    if na != nb or na not in (1, 2):
        raise NotImplementedError("autodiff.numpy.kron supports two vectors or two matrices")
    if na == 1:
        return ravel(outer(a, b))
    (p, q), (r, s) = shape_of(a), shape_of(b)
    return reshape(reshape(a, (p, 1, q, 1)) * reshape(b, (1, r, 1, s)), (p * r, q * s))


def cross(a, b, axis=-1):
    """np.cross of 3-vectors (along the last axis)."""
    if shape_of(a)[-1] != 3 or shape_of(b)[-1] != 3 or axis not in (-1, _ndim(a) - 1):
        raise NotImplementedError("autodiff.numpy.cross supports 3-vectors along the last axis")
    c = lambda v, i: getitem(v, (Ellipsis, i))
    return stack([c(a, 1) * c(b, 2) - c(a, 2) * c(b, 1), c(a, 2) * c(b, 0) - c(a, 0) * c(b, 2),
                  c(a, 0) * c(b, 1) - c(a, 1) * c(b, 0)], axis=-1)


def deg2rad(x):
    """np.deg2rad."""
    return x * (np.pi / 180.0)


def rad2deg(x):
    """np.rad2deg."""
    return x * (180.0 / np.pi)


def convolve(a, v, mode="full"):
    """np.convolve (1-D; 'full', 'same', 'valid'), as a sum of shifted products: both inputs
    may be traced. Best for short kernels (one product per kernel tap)."""
    n, m = shape_of(a)[0], shape_of(v)[0]
    if m > n:
        a, v, n, m = v, a, m, n
    size = n + m - 1
    full = None
    for k in range(m):
        term = E.multiply(getitem(v, k), a)
        term = pad(term, ((k, m - 1 - k),))
        full = term if full is None else full + term
    if mode == "full":
        return full
    if mode == "same":
        start = (size - max(n, m)) // 2
        return getitem(full, slice(start, start + max(n, m)))
    if mode == "valid":
        return getitem(full, slice(m - 1, n))
    raise ValueError(f"mode must be 'full', 'same' or 'valid', got {mode!r}")


def interp(x, xp, fp, left=None, right=None):
    """np.interp: piecewise-linear; differentiable in x (the local slope) and in fp, with the
    breakpoints xp constant."""
    xv, xpv = np.asarray(primal(x), dtype=float), np.asarray(primal(xp), dtype=float)
    if isinstance(xp, Tracer):
        raise NotImplementedError("autodiff.numpy.interp: xp (the breakpoints) must be constant")
    k = np.clip(np.searchsorted(xpv, xv, side="right") - 1, 0, len(xpv) - 2)
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
