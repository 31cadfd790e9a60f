"""Broadcasting: the broadcast_to primitive, and the two moves that every primitive whose
arguments broadcast needs, applied by the declarations (declaration.py) around its rules, never
by the rules themselves: a tangent lifted to the output's rank (its batch axes kept in front),
and a cotangent summed back to its argument's shape."""
import numpy as np

from .declaration import declare
from .samples import uniform, call
from .shape import reshape_p, shape_of
from .reductions import sum_p


def lift_to_rank(t, nd, rank):
    """Insert unit axes after a tangent's batch axes so that it broadcasts, right-aligned,
    like its primal (of `nd` axes) does against an output of rank `rank`."""
    if nd == rank:
        return t
    nb = len(t.shape) - nd
    return reshape_p(t, shape=t.shape[:nb] + (1,) * (rank - nd) + t.shape[nb:])


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


def _broadcast_to_jvp(t, x_shape, shape):
    return broadcast_to_p(lift_to_rank(t, len(x_shape), len(shape)), shape=shape)


def _broadcast_to_batched_jvp(t, nb, x_shape, shape):
    t = lift_to_rank(t, len(x_shape), len(shape))
    return broadcast_to_p(t, shape=t.shape[:nb] + shape)


broadcast_to_p = declare(
    "broadcast_to", lambda x, shape: np.broadcast_to(x, shape), ("x",), params=("shape",),
    linear=True, jvp=[_broadcast_to_jvp], batched_jvp=[_broadcast_to_batched_jvp],
    vjp=[lambda g, x_shape: unbroadcast(g, x_shape)], sparsity="index_map",
    samples=[call(uniform(2, 1), shape=(4, 2, 3))])


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

