"""Which recorded values a reverse sweep will need: the residuals a tape keeps.

A tape entry may keep its output and its argument values for the VJP rules of the arguments
that are traced. Many rules need only some of them, or only their shapes: d(x + y) needs
nothing, d(c * x) needs c, d(sum x) needs x's shape. Keeping the rest would hold every
intermediate array of the forward pass until the sweep ends, so the tape keeps a value only if
a rule it will run reads it, and a shape stand-in if the rule reads only its shape.

What a rule reads is found from its bytecode, once per rule: a parameter that is loaded for
anything but `.shape`, `.ndim`, `.size` or `.dtype` is read. A rule whose body cannot be
inspected (a builtin, a partial, *args) is taken to read everything.
"""
import dis

import numpy as np

from .tracer import Tracer

SHAPE_ATTRIBUTES = {"shape", "ndim", "size", "dtype"}
_LOADS = ("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE")


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


def parameter_reads(fn):
    """{positional parameter index: "value" or "shape"} for the parameters fn reads; None if it
    cannot be told (then everything counts as read)."""
    bound = getattr(fn, "__self__", None) is not None and hasattr(fn, "__func__")
    code = getattr(fn.__func__ if bound else fn, "__code__", None)
    if code is None or code.co_flags & 0x04:  # no bytecode, or *args
        return None
    names = code.co_varnames[int(bound):code.co_argcount]  # a bound method's self is given
    reads = {name: "value" for name in code.co_cellvars if name in names}  # used by a closure
    instructions = list(dis.get_instructions(code))
    for k, ins in enumerate(instructions):
        if not ins.opname.startswith(_LOADS):
            continue
        # (3.13+ loads two at once: then the attribute that follows is the second one's)
        loaded = ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)
        after = instructions[k + 1] if k + 1 < len(instructions) else None
        last_only_shape = (after is not None and after.opname == "LOAD_ATTR"
                           and after.argval in SHAPE_ATTRIBUTES)
        for j, name in enumerate(loaded):
            if name in names and reads.get(name) != "value":
                shape = last_only_shape and j == len(loaded) - 1
                reads[name] = "shape" if shape else "value"
    return {i: reads[n] for i, n in enumerate(names) if n in reads}


_ORDER = {None: 0, "shape": 1, "value": 2}


def plan(prim, traced, nargs, kind):
    """How to keep a primitive application's output and arguments for later rules of `kind`
    ("vjp": the reverse sweep; "jvp": a deferred tangent) of the traced arguments (`traced`: a
    bit mask of argument positions): None if everything is kept, else (whether the output is
    kept as a shape only, the positions of the arguments kept as shapes only). Cached on the
    primitive (defjvp / defvjp / defdiagonal clear the cache): this runs for every operation."""
    plans = prim.residual_plans
    if plans is None:
        plans = prim.residual_plans = {}
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
        rule_out, rule_args = _reads_of(prim, argnum, nargs, kind)
        out = max(out, rule_out, key=_ORDER.get)
        args = [max(a, r, key=_ORDER.get) for a, r in zip(args, rule_args)]
    drop_out = out != "value"
    drops = tuple(k for k, a in enumerate(args) if a != "value")
    return (drop_out, drops) if drop_out or drops else None


def _reads_of(prim, argnum, nargs, kind):
    """What the rule of argument `argnum` reads: (of the output, of each argument), each None,
    "shape" or "value". A JVP rule for all arguments at once counts for each of them."""
    rules, together = ((prim.vjp_rules, prim.vjp_all) if kind == "vjp"
                       else (prim.jvp_rules, prim.jvp_all))
    everything = ("value", ("value",) * nargs)
    if kind == "jvp" and together is not None:
        rule = together  # jvp_all(tangents, out, *args, **params): the same positions
    elif rules is None:
        return everything  # vjp_all(i, g, out, *operands): cannot be told
    else:
        rule = rules[argnum]
        if rule is None:
            return None, (None,) * nargs
    reads = parameter_reads(rule)
    if reads is None or _positional_count(rule) < 2 + nargs:
        return everything
    return reads.get(1), tuple(reads.get(2 + k) for k in range(nargs))


def _positional_count(fn):
    """How many positional parameters a caller passes to fn (a bound method's self excluded)."""
    func = getattr(fn, "__func__", fn)
    return func.__code__.co_argcount - (getattr(fn, "__self__", None) is not None)


SMALLEST_DROPPED = 4096  # bytes: smaller arrays are kept whole (a stand-in would cost more)


def worth_dropping(value):
    """Whether a value is a large array (or a dual number of one): a cheap test, so that
    operations on scalars pay nothing for residual plans."""
    if type(value) is not np.ndarray:
        if not isinstance(value, Tracer):  # a scalar: no attribute lookup that would fail
            return False
        value = value.value
        if type(value) is not np.ndarray:
            return False
    return value.nbytes >= SMALLEST_DROPPED


def involves_large(values, out):
    """Whether an application's output or first argument is large (a sum's argument is large
    where its output is not): only then is a plan worth applying."""
    return worth_dropping(out) or worth_dropping(values[0])


def shape_only(value):
    """A shape stand-in for a value no rule reads but for its shape, if it is a large array
    (or a dual number of one); else the value. A value of a trace that keeps everything (a
    picture being recorded) stays itself: it is known by identity."""
    if not worth_dropping(value) or \
            getattr(getattr(value, "_trace", None), "keeps_everything", False):
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
