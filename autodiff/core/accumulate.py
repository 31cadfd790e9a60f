"""In-place accumulation of cotangents in the reverse sweep.

When several tape entries pull back into one value (x used twice, slices of one array), its
cotangent is a sum. Adding each contribution into one buffer that the sweep itself allocated --
instead of a new array per sum, and a zeros array of the full size per slice -- saves whole passes
over the data. The sweep does this for plain arrays and for dual numbers of plain arrays (the
cotangents of forward-over-reverse: every HVP and Hessian). Anything else (deeper nesting, other
array types) returns None here and the sweep takes the ordinary, traced sum.

Only buffers the sweep created are written into: it tracks them, and a buffer leaves that set as
soon as anything else could see it.
"""
import numpy as np

from .forward import Dual
from .tracer import Tracer


def is_array(v):
    """A plain array, or a staged one (ad.jit): that takes the in-place work as steps of its
    recording (`_in_place`), so a replay adds in the same order as the plain computation."""
    return type(v) is np.ndarray or (isinstance(v, Tracer) and v.stages_values
                                     and v.holds_array)


def _staged(v):
    return isinstance(v, Tracer) and v.stages_values


def _in_place(fn, buffer, *args, **params):
    """fn(buffer, *args, **params): writes into buffer (None: a new one) and returns it (a
    staged buffer stays the same object; a plain one given a staged value becomes a staged
    one, so the caller must use the result)."""
    for a in (buffer,) + args:
        if _staged(a):
            return a._trace.in_place(fn, buffer, args, params)
    return fn(buffer, *args, **params)


def _add(buffer, c):
    return np.add(buffer, c, out=buffer)


def _split(x):
    """(trace or None, value, tangent or None) for a plain array or a dual number of plain
    arrays; None for anything else."""
    if is_array(x):
        return None, x, None
    if type(x) is Dual and is_array(x.value) and is_array(x.tangent):
        return x._trace, x.value, x.tangent
    return None


def _fits(buffer, c):
    """c can be added into buffer in place (it may broadcast: a compact cotangent)."""
    return (c.shape == buffer.shape or np.broadcast_shapes(c.shape, buffer.shape) == buffer.shape) \
        and np.can_cast(c.dtype, buffer.dtype)


def add_into(buffer, c):
    """buffer += c in place (buffer one of the sweep's own); returns buffer, or None when c is
    not of a kind, shape or dtype that can be added in place."""
    b, cs = _split(buffer), _split(c)
    if b is None or cs is None:
        return None
    (btrace, bv, bt), (ctrace, cv, ct) = b, cs
    if not _fits(bv, cv):
        return None
    if ct is not None and (btrace is not ctrace or not _fits(bt, ct)):
        return None
    if (_staged(cv) and not _staged(bv)) or (ct is not None and _staged(ct) and not _staged(bt)):
        return None  # a plain buffer cannot hold a staged sum: the sweep adds instead
    _in_place(_add, bv, cv)
    if ct is not None:
        _in_place(_add, bt, ct)
    return buffer


def scatter_into(prim, buffer, g, out_shape, values, params):
    """Add the adjoint of `prim` applied to cotangent g (of out_shape, or compact) into buffer
    (None: a new buffer), in place, with prim.vjp_accumulate; returns the buffer, or None if g
    is not of a kind that allows it."""
    gs = _split(g)
    if gs is None:
        return None
    gtrace, gv, gt = gs
    if gv.shape != out_shape:  # compact: expanded as a view
        if gt is not None:
            gt = np.broadcast_to(gt, gt.shape[:gt.ndim - gv.ndim] + out_shape)
        gv = np.broadcast_to(gv, out_shape)
    if buffer is None:
        btrace, bv, bt = gtrace, None, None
    else:
        btrace, bv, bt = _split(buffer)
        if gt is not None and btrace is not None and btrace is not gtrace:
            return None
        if not np.can_cast(gv.dtype, bv.dtype) or \
                (gt is not None and bt is not None and not np.can_cast(gt.dtype, bt.dtype)):
            return None  # a complex part into a real buffer (real(z[i]) beside z[j]): add
    bv = _in_place(prim.vjp_accumulate, bv, gv, (), *values, **params)
    if gt is not None:
        bt = _in_place(prim.vjp_accumulate, bt, gt, gt.shape[:gt.ndim - gv.ndim], *values,
                       **params)
    if gtrace is None and btrace is None:
        return bv
    if type(buffer) is Dual:  # keep the object: the sweep knows its buffers by identity
        buffer.value, buffer.tangent = bv, bt
        return buffer
    return Dual(btrace or gtrace, bv, bt)
