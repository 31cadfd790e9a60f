"""Reverse mode: a tape of primitive applications, swept backwards for VJPs.

The tape is a list in execution order, which is already a topological order, so the backward
sweep is one loop from the output back to the inputs: no recursion, no sort, any depth. Each
cotangent is freed as soon as its entry has been pulled back. The tape lives as long as the
`ReverseTrace` that owns it, i.e. until the derivative is returned (or the vjp function dropped).
"""
import contextlib
import threading

import numpy as np

from .accumulate import add_into, scatter_into, is_array
from .residuals import plan as residual_plan, apply as keep_for, worth_dropping
from .shortcuts import state as shortcuts
from .tracer import Trace, Tracer, not_numeric, not_numeric_error

_observers = threading.local()


@contextlib.contextmanager
def observe_sweeps(observer):
    """Within the block, tell `observer` about every reverse sweep this thread runs (of any
    trace): `observer.sweep_start()` and `observer.sweep_end()` around each sweep (sweeps may
    nest), and `observer.sweep_entry(out)` before an entry's cotangent is pulled back (out is
    that entry's recorded output). A picture uses
    it to tell a sweep's operations from the forward pass's, and to place them beside what they
    differentiate."""
    before = getattr(_observers, "list", ())
    _observers.list = before + (observer,)
    try:
        yield observer
    finally:
        _observers.list = before


class Node(Tracer):
    """A value recorded on a `ReverseTrace`; `index` is its entry on the tape."""

    __slots__ = ("index",)

    def __init__(self, trace, value, index):
        self._trace = trace
        self.value = value
        self.index = index


def _not_an_array(tape, i):
    """The error to raise where the rules of tape entry i failed on a recorded output that is
    not an array of numbers, its own or an argument's (see not_numeric), or None."""
    prim, _, values, parents, out = tape[i]
    for v, producer in [(out, prim)] + [(values[a], tape[p][0]) for a, p in parents]:
        if not_numeric(v):
            return not_numeric_error("an input" if producer is None else
                                     f"primitive {producer.name!r}", "gave", v)
    return None


class ReverseTrace(Trace):
    """One reverse-mode invocation and its tape.

    A tape entry is (primitive, params, argument values, [(argnum, parent index)], output);
    inputs are entries whose primitive is None.
    """

    __slots__ = ("tape", "keeps_values")

    def __init__(self, keeps_values=False):
        super().__init__()
        self.tape = []
        # True: keep every recorded value (an observer shows them), not only what rules read
        self.keeps_values = keeps_values

    def input(self, value):
        self.tape.append((None, None, None, (), value))
        return Node(self, value, len(self.tape) - 1)

    def process(self, prim, args, params):
        values, parents, below, traced = [], [], None, 0
        for i, a in enumerate(args):
            if type(a) is Node and a._trace is self:
                parents.append((i, a.index))
                traced |= 1 << i
                a = a.value
            values.append(a)
            if isinstance(a, Tracer) and (below is None or a._trace.level > below.level):
                below = a._trace  # the trace that handles the primitive on our values
        out = prim.impl(*values, **params) if below is None else \
            below.process_kept(prim, values, params)
        tape = self.tape
        how = None if self.keeps_values or not shortcuts.residual_pruning or \
            not (worth_dropping(out) or worth_dropping(values[0])) else \
            residual_plan(prim, traced, len(values), "vjp")
        if how is None:
            tape.append((prim, params, values, parents, out))
        else:  # keep only what the rules will read (the rest as shapes): frees memory early
            kept, kept_out = keep_for(how, values, out)
            tape.append((prim, params, kept, parents, kept_out))
        return Node(self, out, len(tape) - 1)

    def index_of(self, x):
        """Tape index of an output of the traced function, or None if it is not ours."""
        if type(x) is Node and x._trace is self:
            return x.index
        return None

    def backward(self, seeds, keep_all=False):
        """Pull cotangents back from {tape index: cotangent}; return the list of cotangents,
        which for input entries is their gradient (None: no dependence). A cotangent may be
        compact: unit axes where it is uniform (a sum's VJP), broadcasting to its value's shape
        (the primitives' VJPs take it as it is: see core/primitive.py). Intermediate
        cotangents are freed as the sweep passes them, unless keep_all (for pictures)."""
        observers = getattr(_observers, "list", ())
        for o in observers:
            o.sweep_start()
        try:
            return self._sweep(seeds, keep_all, observers)
        finally:
            for o in observers:
                o.sweep_end()

    def _sweep(self, seeds, keep_all, observers):
        tape = self.tape
        cts = [None] * len(tape)
        for i, g in seeds.items():
            cts[i] = g if cts[i] is None else cts[i] + g
        # Cotangent buffers this sweep allocated and nobody else has seen yet, by id (the dict
        # keeps them alive, so an id is never reused while listed): each sits in exactly one slot
        # of cts until its entry consumes it, so adding into it in place is safe.
        owned = {}
        inplace = shortcuts.inplace_accumulation
        for i in range(max(seeds), -1, -1):
            g = cts[i]
            if g is None:
                continue
            prim, params, values, parents, out = tape[i]
            if prim is None:
                continue
            if not keep_all:
                cts[i] = None
            owned.pop(id(g), None)
            for o in observers:
                o.sweep_entry(out)
            vjp = prim.vjp
            try:
                for argnum, parent in parents:
                    prev = cts[parent]
                    mine = inplace and (prev is None or id(prev) in owned)
                    # scatter only into a buffer of the argument's full shape (not a compact one)
                    if prim.vjp_accumulate is not None and mine and not keep_all and (
                            prev is None or prev.shape == values[argnum].shape):
                        total = scatter_into(prim, prev, g, out.shape, values, params)
                        if total is not None:  # the adjoint went straight into the buffer
                            if total is not prev:  # a plain buffer now wrapped as a dual number
                                owned.pop(id(prev), None)
                            cts[parent] = owned[id(total)] = total
                            continue
                    c = vjp(argnum, g, out, values, params)
                    if c is None:
                        continue
                    if prev is None:
                        cts[parent] = c
                    elif not (mine and add_into(prev, c) is not None):
                        owned.pop(id(prev), None)
                        total = prev + c
                        if is_array(total) and not keep_all:
                            owned[id(total)] = total
                        cts[parent] = total
            except AttributeError:  # (free unless raised)
                problem = _not_an_array(tape, i)
                if problem is None:
                    raise
                raise problem from None
        return cts
