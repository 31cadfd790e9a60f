"""Forward mode: dual numbers (primal, tangent) pushed through each primitive's JVP rule.

A tangent may carry leading batch axes (`batch`), so k directions share one pass: this is how
`jacfwd` and `hessian` avoid k separate sweeps. A missing tangent is a symbolic zero: an output
none of whose inputs carry a tangent of this trace is returned as a plain constant, at no cost.

A large value that a reverse-mode tape records (`process_kept`) gets its tangent only when
something reads it. Forward-over-reverse (HVPs, Hessians) records every value of the forward
pass, but the reverse sweep reads the tangents of only those its rules use (x in d(x**2) = 2x dx,
not x**2 itself), so the tangents of the rest -- all that only lead on to f's value -- are never
computed. (Scalars get theirs at once: deferring would cost more than it saves.)
"""
from .residuals import plan as residual_plan, apply as keep_for, worth_dropping
from .shortcuts import state as shortcuts
from .tracer import Trace, Tracer, bind, not_numeric, not_numeric_error


class Dual(Tracer):
    """A value with a tangent (shape `batch + value.shape`) of one `JVPTrace`.

    A deferred tangent is a `Deferred` in `_pending`, computed on first read of `tangent`; it
    may turn out to be None, a symbolic zero."""

    __slots__ = ("_tangent", "_pending")

    def __init__(self, trace, value, tangent):
        self._trace = trace
        self.value = value
        self._tangent = tangent
        self._pending = None

    @property
    def tangent(self):
        if self._pending is not None:
            self._tangent = _force(self._pending)
            self._pending = None
        return self._tangent

    @tangent.setter
    def tangent(self, t):
        self._tangent, self._pending = t, None


class Deferred:
    """A tangent not computed yet: the primitive, what its JVP rules read of the output and
    the arguments (the rest only as shapes, so the forward pass's arrays are not held), and
    the arguments' tangents, themselves arrays or Deferred. Not the dual numbers themselves:
    a chain of deferred tangents keeps no primal value alive that its rules do not need."""

    __slots__ = ("trace", "prim", "params", "out", "values", "tangents", "result", "done")

    def __init__(self, trace, prim, params, out, values, tangents):
        self.trace, self.prim, self.params = trace, prim, params
        self.out, self.values, self.tangents = out, values, tangents
        self.result, self.done = None, False


def _force(deferred):
    """Compute a deferred tangent and the deferred tangents it needs, iteratively (a recorded
    chain may be a million operations long); each lets go of its inputs once computed."""
    stack = [deferred]
    while stack:
        d = stack[-1]
        if d.done:
            stack.pop()
            continue
        waiting = [t for t in d.tangents if type(t) is Deferred and not t.done]
        if waiting:
            stack.extend(waiting)
            continue
        tangents = [t.result if type(t) is Deferred else t for t in d.tangents]
        # None if every rule gave a symbolic zero: then the tangent stays a symbolic zero
        d.result = d.trace.tangent_out(d.prim, tangents, d.out, d.values, d.params)
        d.done, d.out, d.values, d.tangents = True, None, None, None
        stack.pop()
    return deferred.result


def _raise_if_not_numeric(prim, out, values, tangents):
    """Where prim's JVP failed: name a value it read that is not an array of numbers."""
    if not_numeric(out):
        raise not_numeric_error(f"primitive {prim.name!r}", "gave", out) from None
    for v, t in zip(values, tangents):
        if t is not None and not_numeric(v):
            raise not_numeric_error(f"primitive {prim.name!r}", "got", v) from None


class JVPTrace(Trace):
    """One forward-mode invocation; `batch` is the shape of the tangents' leading batch axes."""

    __slots__ = ("batch",)

    def __init__(self, batch=()):
        super().__init__()
        self.batch = tuple(batch)

    def process(self, prim, args, params):
        values, tangents, nonzero = [], [], False
        for a in args:  # (primal values, tangents-or-None) of the arguments
            if type(a) is Dual and a._trace is self:
                values.append(a.value)
                t = a._tangent if a._pending is None else a.tangent
                tangents.append(t)
                nonzero = nonzero or t is not None
            else:
                values.append(a)
                tangents.append(None)
        out = bind(prim, *values, **params)
        if not nonzero:
            return out
        try:
            t_out = prim.jvp(tangents, out, values, params, len(self.batch))
        except AttributeError:  # (free unless raised)
            _raise_if_not_numeric(prim, out, values, tangents)
            raise
        return out if t_out is None else Dual(self, out, t_out)

    def process_kept(self, prim, args, params):
        """As process, for a value a tape keeps: for large arrays its tangent is deferred until
        read. Only when every input is a plain array (or a deferred tangent, which will be one),
        so computing the tangent later is unobservable to any other trace (e.g. a picture being
        recorded)."""
        if not shortcuts.deferred_tangents:
            return self.process(prim, args, params)
        values, tangents, traced, waiting = [], [], 0, False
        for i, a in enumerate(args):
            if type(a) is Dual and a._trace is self:
                if isinstance(a.value, Tracer) or (a._pending is None
                                                   and isinstance(a._tangent, Tracer)):
                    return self.process(prim, args, params)
                values.append(a.value)
                if a._pending is None:
                    tangents.append(a._tangent)
                else:
                    tangents.append(a._pending)
                    waiting = True
                traced |= 1 << i
            elif isinstance(a, Tracer):
                return self.process(prim, args, params)
            else:
                values.append(a)
                tangents.append(None)
        if not traced:
            return self.process(prim, args, params)
        out = prim.impl(*values, **params)
        if not (waiting or worth_dropping(out) or worth_dropping(values[0])):
            # small values (scalars) with their tangents at hand: computing the tangent now
            # costs less than deferring it
            t_out = self.tangent_out(prim, tangents, out, values, params)
            return out if t_out is None else Dual(self, out, t_out)
        how = residual_plan(prim, traced, len(values), "jvp") if shortcuts.residual_pruning \
            else None
        kept, kept_out = (values, out) if how is None else keep_for(how, values, out)
        d = Dual(self, out, None)
        d._pending = Deferred(self, prim, params, kept_out, kept, tangents)
        return d

    def tangent_out(self, prim, tangents, out, values, params):
        """The output's tangent by the primitive's JVP (None: a symbolic zero)."""
        for t in tangents:
            if t is not None:
                try:
                    return prim.jvp(tangents, out, values, params, len(self.batch))
                except AttributeError:  # (free unless raised)
                    _raise_if_not_numeric(prim, out, values, tangents)
                    raise
        return None

    def unpack(self, x):
        """(primal, tangent-or-None) of an output of the traced function."""
        if type(x) is Dual and x._trace is self:
            return x.value, x.tangent
        return x, None
