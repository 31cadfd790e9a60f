"""Forward mode: dual numbers (primal, tangent) pushed through each primitive's JVP rule.

A tangent may carry leading batch axes (`batch`), so k directions share one pass: this is how
`jacfwd` and `hessian` avoid k separate sweeps. A missing tangent is a symbolic zero: an output
none of whose inputs carry a tangent of this trace is returned as a plain constant, at no cost.

A value that a reverse-mode tape records (`process_kept`) gets its tangent only when something
reads it. Forward-over-reverse (HVPs, Hessians) records every value of the forward pass, but the
reverse sweep reads the tangents of only those its rules use (x in d(x**2) = 2x dx, not x**2
itself), so the tangents of the rest -- all that only lead on to f's value -- are never computed.
"""
from .tracer import Trace, Tracer, bind
from ..primitives.shape import broadcast_to, lift_to_rank


class Dual(Tracer):
    """A value with a tangent (shape `batch + value.shape`) of one `JVPTrace`.

    A deferred tangent is kept as `_pending` = (primitive, arguments, params) and computed on
    first read of `tangent`; it may turn out to be None, a symbolic zero."""

    __slots__ = ("_tangent", "_pending")

    def __init__(self, trace, value, tangent):
        self._trace = trace
        self.value = value
        self._tangent = tangent
        self._pending = None

    @property
    def tangent(self):
        if self._pending is not None:
            _force(self)
        return self._tangent

    @tangent.setter
    def tangent(self, t):
        self._tangent, self._pending = t, None


def _force(dual):
    """Compute a deferred tangent and the deferred tangents it needs, iteratively (a recorded
    chain may be a million operations long)."""
    stack = [dual]
    while stack:
        d = stack[-1]
        if d._pending is None:
            stack.pop()
            continue
        prim, args, params = d._pending
        trace = d._trace
        waiting = [a for a in args if type(a) is Dual and a._trace is trace
                   and a._pending is not None]
        if waiting:
            stack.extend(waiting)
            continue
        values, tangents = trace.split(args)
        # None if every rule gave a symbolic zero: then the tangent stays a symbolic zero
        d._tangent = trace.tangent_out(prim, tangents, d.value, values, params)
        d._pending = None
        stack.pop()


class JVPTrace(Trace):
    """One forward-mode invocation; `batch` is the shape of the tangents' leading batch axes."""

    __slots__ = ("batch",)

    def __init__(self, batch=()):
        super().__init__()
        self.batch = tuple(batch)

    def split(self, args):
        """(primal values, tangents-or-None) of a primitive's arguments."""
        values, tangents = [], []
        for a in args:
            if type(a) is Dual and a._trace is self:
                values.append(a.value)
                tangents.append(a._tangent if a._pending is None else a.tangent)
            else:
                values.append(a)
                tangents.append(None)
        return values, tangents

    def process(self, prim, args, params):
        values, tangents = self.split(args)
        out = bind(prim, *values, **params)
        t_out = self.tangent_out(prim, tangents, out, values, params)
        return out if t_out is None else Dual(self, out, t_out)

    def process_kept(self, prim, args, params):
        """As process, for a value a tape keeps: its tangent is deferred until read. Only when
        every input is a plain array (or a deferred tangent, which will be one), so computing
        the tangent later is unobservable to any other trace (e.g. a picture being recorded)."""
        values, deferred = [], False
        for a in args:
            if type(a) is Dual and a._trace is self:
                if isinstance(a.value, Tracer) or (a._pending is None
                                                   and isinstance(a._tangent, Tracer)):
                    return self.process(prim, args, params)
                values.append(a.value)
                deferred = True
            elif isinstance(a, Tracer):
                return self.process(prim, args, params)
            else:
                values.append(a)
        if not deferred:
            return self.process(prim, args, params)
        d = Dual(self, prim.impl(*values, **params), None)
        d._pending = (prim, args, params)
        return d

    def tangent_out(self, prim, tangents, out, values, params):
        """The output's tangent by the primitive's JVP rules (None: a symbolic zero)."""
        for t in tangents:
            if t is not None:
                break
        else:
            return None
        if prim.jvp_all is not None:
            t_out = prim.jvp_all(tangents, out, *values, **params)
        else:
            t_out = None
            rules = prim.jvp_rules
            if rules is None:
                raise NotImplementedError(f"primitive {prim.name!r} has no JVP rule")
            rank = len(out.shape)
            for i, t in enumerate(tangents):
                if t is None or rules[i] is None:
                    continue
                if prim.broadcasts and len(values[i].shape) != rank:
                    t = lift_to_rank(t, values[i], rank)
                c = rules[i](t, out, *values, **params)
                t_out = c if t_out is None else t_out + c
        if t_out is None:
            return None
        target = self.batch + out.shape
        if t_out.shape != target:
            t_out = broadcast_to(t_out, target)
        return t_out

    def unpack(self, x):
        """(primal, tangent-or-None) of an output of the traced function."""
        if type(x) is Dual and x._trace is self:
            return x.value, x.tangent
        return x, None
