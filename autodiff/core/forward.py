"""Forward mode: dual numbers (primal, tangent) pushed through each primitive's JVP rule.

A tangent may carry leading batch axes (`batch`), so k directions share one pass: this is how
`jacfwd` and `hessian` avoid k separate sweeps. A missing tangent is a symbolic zero: an output
none of whose inputs carry a tangent of this trace is returned as a plain constant, at no cost.
"""
from .tracer import Trace, Tracer, bind
from ..primitives.shape import broadcast_to, lift_to_rank


class Dual(Tracer):
    """A value with a tangent (shape `batch + value.shape`) of one `JVPTrace`."""

    __slots__ = ("tangent",)

    def __init__(self, trace, value, tangent):
        self._trace = trace
        self.value = value
        self.tangent = tangent


class JVPTrace(Trace):
    """One forward-mode invocation; `batch` is the shape of the tangents' leading batch axes."""

    __slots__ = ("batch",)

    def __init__(self, batch=()):
        super().__init__()
        self.batch = tuple(batch)

    def process(self, prim, args, params):
        values, tangents = [], []
        for a in args:
            if type(a) is Dual and a._trace is self:
                values.append(a.value)
                tangents.append(a.tangent)
            else:
                values.append(a)
                tangents.append(None)
        out = bind(prim, *values, **params)
        if prim.jvp_all is not None:
            t_out = prim.jvp_all(tangents, out, *values, **params)
        else:
            t_out = None
            rules = prim.jvp_rules
            if rules is None:
                raise NotImplementedError(f"primitive {prim.name!r} has no JVP rule")
            for i, t in enumerate(tangents):
                if t is None or rules[i] is None:
                    continue
                if prim.broadcasts:
                    t = lift_to_rank(t, values[i], len(out.shape))
                c = rules[i](t, out, *values, **params)
                t_out = c if t_out is None else t_out + c
        if t_out is None:
            return out
        target = self.batch + out.shape
        if t_out.shape != target:
            t_out = broadcast_to(t_out, target)
        return Dual(self, out, t_out)

    def unpack(self, x):
        """(primal, tangent-or-None) of an output of the traced function."""
        if type(x) is Dual and x._trace is self:
            return x.value, x.tangent
        return x, None
