"""Which recorded values a reverse sweep will need: the residuals a tape keeps.

A tape entry may keep its output and its argument values for the VJP rules of the arguments
that are traced. Many rules need only some of them, or only their shapes: d(x + y) needs
nothing, d(c * x) needs c, d(sum x) needs x's shape. Keeping the rest would hold every
intermediate array of the forward pass until the sweep ends, so the tape keeps a value only if
a rule it will run reads it, and a shape stand-in if the rule reads only its shape.

What a rule reads is what it declares (`Primitive.reads`): a rule receives only the values it
names, so it cannot read more than it declares (see autodiff/primitives/declaration.py).
"""
import numpy as np

from .tracer import Tracer


class Shaped:
    """What a tape keeps of a value no rule reads but for its shape."""

    __slots__ = ("shape", "dtype")

    def __init__(self, value):
        self.shape, self.dtype = value.shape, value.dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        n = 1
        for d in self.shape:
            n *= d
        return n

    def __repr__(self):
        return f"Shaped({self.shape}, {self.dtype})"


_ORDER = {None: 0, "shape": 1, "value": 2}


def plan(prim, traced, nargs, kind):
    """How to keep a primitive application's output and arguments for later rules of `kind`
    ("vjp": the reverse sweep; "jvp": a deferred tangent) of the traced arguments (`traced`: a
    bit mask of argument positions): None if everything is kept, else (whether the output is
    kept as a shape only, the positions of the arguments kept as shapes only). Read off the
    rules' declared reads (`prim.reads`) and cached on the primitive: this runs for every
    operation."""
    plans = prim.residual_plans
    key = (kind, traced, nargs)
    try:
        return plans[key]
    except KeyError:
        argnums = tuple(i for i in range(nargs) if traced >> i & 1)
        plans[key] = result = _plan(prim, argnums, nargs, kind)
        return result


def _plan(prim, argnums, nargs, kind):
    out, args = None, [None] * nargs
    for argnum in argnums:
        rule_out, rule_args = prim.reads(kind, argnum, nargs)
        out = max(out, rule_out, key=_ORDER.get)
        args = [max(a, r, key=_ORDER.get) for a, r in zip(args, rule_args)]
    drop_out = out != "value"
    drops = tuple(k for k, a in enumerate(args) if a != "value")
    return (drop_out, drops) if drop_out or drops else None


SMALLEST_DROPPED = 4096  # bytes: smaller arrays are kept whole (a stand-in would cost more)


def worth_dropping(value):
    """Whether a value is a large array (or a dual number of one): a cheap test, so that
    operations on scalars pay nothing for residual plans."""
    if type(value) is not np.ndarray:
        if not isinstance(value, Tracer) or value.stages_values:
            return False  # a scalar, or a staged value (ad.jit: its value is not to be read)
        value = value.value
        if type(value) is not np.ndarray:
            return False
    return value.nbytes >= SMALLEST_DROPPED


def shape_only(value):
    """A shape stand-in for a value no rule reads but for its shape, if it is a large array
    (or a dual number of one); else the value. A value of a trace that keeps everything (a
    picture being recorded) stays itself: it is known by identity."""
    if not worth_dropping(value) or \
            getattr(getattr(value, "_trace", None), "keeps_values", False):
        return value
    return Shaped(value)


def apply(how, values, out):
    """(values, out) as a plan keeps them."""
    drop_out, drops = how
    if drops:
        values = list(values)
        for k in drops:
            values[k] = shape_only(values[k])
    return values, (shape_only(out) if drop_out else out)
