"""NumPy functions that rearrange, join and split arrays, composed from the shape primitives
(their derivatives move cotangents back to where the entries came from)."""
import numpy as np

from ..core.tracer import bottom
from ..primitives import shape as S
from ..primitives.shape import shape_of, normalize_axis
from .functions import (_as_array, _ndim, concatenate, flip, moveaxis, reshape, split, swapaxes,
                        take_along_axis, atleast_1d)
from .names import claim, serves


@serves()
def rollaxis(a, axis, start=0):
    """np.rollaxis: axis moved to before position `start`."""
    a = _as_array(a)
    nd = _ndim(a)
    axis = normalize_axis(axis, nd)
    if not -nd <= start <= nd:
        raise np.exceptions.AxisError(f"start {start} is out of bounds for an array of "
                                      f"dimension {nd}")
    start = start % (nd + 1) if start < 0 else start
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start) if axis != start else a


@serves()
def atleast_3d(*arys):
    """np.atleast_3d: (N,) -> (1, N, 1), (M, N) -> (M, N, 1), a scalar -> (1, 1, 1)."""
    def lift(a):
        a = _as_array(a)
        s = shape_of(a)
        new = {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s), s)
        return S.reshape(a, new) if new != s else a
    out = tuple(lift(a) for a in arys)
    return out[0] if len(out) == 1 else out


@serves()
def flipud(m):
    """np.flipud: the first axis reversed."""
    m = _as_array(m)
    if _ndim(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


@serves()
def fliplr(m):
    """np.fliplr: the second axis reversed."""
    m = _as_array(m)
    if _ndim(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


@serves()
def rot90(m, k=1, axes=(0, 1)):
    """np.rot90: k quarter turns in the plane of `axes`, from the first towards the second."""
    m = _as_array(m)
    nd = _ndim(m)
    a0, a1 = (normalize_axis(a, nd) for a in axes)
    if len(axes) != 2 or a0 == a1:
        raise ValueError("len(axes) must be 2 and the axes must be different")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    return swapaxes(flip(m, a1), a0, a1) if k == 1 else flip(swapaxes(m, a0, a1), a1)


@serves()
def append(arr, values, axis=None):
    """np.append: flattened unless an axis is given."""
    arr, values = _as_array(arr), _as_array(values)
    if axis is None:
        return concatenate([reshape(arr, -1), reshape(values, -1)])
    return concatenate([arr, values], axis=axis)


@serves()
def column_stack(tup):
    """np.column_stack: 1-D arrays become columns (scalars 1 x 1 ones); 2-D ones are joined
    along axis 1."""
    cols = []
    for a in tup:
        a = _as_array(a)
        nd = _ndim(a)
        cols.append(S.reshape(a, (1, 1)) if nd == 0 else
                    S.reshape(a, shape_of(a) + (1,)) if nd == 1 else a)
    return concatenate(cols, axis=1)


@serves()
def array_split(ary, indices_or_sections, axis=0):
    """np.array_split: like split, but the sections may differ in size by one."""
    ary = _as_array(ary)
    if isinstance(indices_or_sections, (int, np.integer)):
        n, sections = shape_of(ary)[normalize_axis(axis, _ndim(ary))], int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        size, extra = divmod(n, sections)
        sizes = [size + 1] * extra + [size] * (sections - extra)
        indices_or_sections = list(np.cumsum(sizes)[:-1])
    return split(ary, indices_or_sections, axis)


def _split_along(name, axis, min_ndim):
    def fn(ary, indices_or_sections):
        ary = _as_array(ary)
        if _ndim(ary) < min_ndim:
            raise ValueError(f"{name} only works on arrays of {min_ndim} or more dimensions")
        along = 0 if (name == "hsplit" and _ndim(ary) == 1) else axis
        return split(ary, indices_or_sections, along)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"np.{name}: split along axis {axis}."
    return serves(name)(fn)


vsplit = _split_along("vsplit", 0, 2)
hsplit = _split_along("hsplit", 1, 1)
dsplit = _split_along("dsplit", 2, 3)


@serves()
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """np.partition: the derivative follows each entry to its place (as np.sort's)."""
    a = _as_array(a)
    if order is not None:
        raise NotImplementedError("partition(order=...) sorts structured arrays by field")
    if axis is None:
        a, axis = reshape(a, -1), 0
    return take_along_axis(a, np.argpartition(bottom(a), kth, axis=axis), axis)


class _Concatenator:
    """np.r_ / np.c_ for traced pieces: arrays (and numbers) joined along the first (r_) or
    last (c_) axis; a slice stands for the constant range NumPy makes of it."""

    def __init__(self, name, columns):
        self.name, self.columns = name, columns

    def __getitem__(self, items):
        items = items if isinstance(items, tuple) else (items,)
        pieces = []
        for item in items:
            if isinstance(item, str):
                raise NotImplementedError(f"autodiff.numpy.{self.name} with a directive string "
                                          f"({item!r}); use concatenate/stack with axis=")
            if isinstance(item, slice):
                item = np.r_[item]
            pieces.append(_as_array(item))
        if not self.columns:
            return concatenate([atleast_1d(p) for p in pieces], axis=0)
        if all(_ndim(p) <= 1 for p in pieces):
            return column_stack(pieces)
        return concatenate([p if _ndim(p) >= 2 else S.reshape(atleast_1d(p), (-1, 1))
                            for p in pieces], axis=-1)

    def __repr__(self):
        return f"autodiff.numpy.{self.name}"


r_ = _Concatenator("r_", columns=False)
c_ = _Concatenator("c_", columns=True)
claim("r_", r_)
claim("c_", c_)
