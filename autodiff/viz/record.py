"""Recording a function's computation for pictures, on the core's own tape.

`RecordingTrace` is a `ReverseTrace` that also notes, for every tape entry, the user's scope
(`with ad.viz.scope("layer1")`) and whether it ran inside a backward sweep. The graph model
(`GraphModel`) is read off that tape: one node per recorded primitive, plus inputs, array
constants and outputs. Recording derivative transforms (grad, hvp) on such a trace shows their
own computation, since their sweeps are made of recorded primitives too.
"""
import contextlib
import inspect
import os
import sys
import threading
from types import CodeType
from typing import Dict, Literal

import numpy as np

from ..core.reverse import Node, ReverseTrace, observe_sweeps
from ..core.tracer import Tracer, primal
from ..pytree import flatten
from ..transforms import record as record_on

_scopes = threading.local()


class scope(contextlib.ContextDecorator):
    """Name a sub-computation: `with ad.viz.scope("layer1"): ...` or `@ad.viz.scope("loss")`.
    Scopes nest; in pictures they become clusters (and collapse into one node when large)."""

    def __init__(self, name: object) -> None:
        self.name = str(name)

    def __enter__(self) -> "scope":
        stack = getattr(_scopes, "stack", ())
        _scopes.stack = stack + (self.name,)
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        _scopes.stack = _scopes.stack[:-1]
        return False


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# frames of these parts of autodiff make up a NumPy-level call (not transforms, viz, ...)
_LIBRARY = tuple(os.path.join(_PACKAGE, part) for part in ("numpy", "primitives", "core"))
_NAMING = _LIBRARY[:2]  # the functions of these name calls (not the core's machinery)
_DISPATCH = {"__array_function__", "array_function", "__array_ufunc__", "array_ufunc",
             "method", "wrapper", "ufunc", "<lambda>", "call", "bind", "process"}
def _in_library(frame):
    """A frame of the library: in its files, or code it compiled (a "<string>" rule caller
    called from the library)."""
    where = _FILE_KIND.get(frame.f_code)
    if where is None:
        name = frame.f_code.co_filename
        where = _FILE_KIND[frame.f_code] = 1 if name.startswith(_LIBRARY) else \
            2 if name.startswith("<") else 0
    if where == 2:
        return frame.f_back is not None and _in_library(frame.f_back)
    return where == 1


# code object -> 1: the library's, 2: compiled ("<string>"), 0: another's
_FILE_KIND: Dict[CodeType, int] = {}


_OPERATORS = {f"__{r}{op}__": name for op, name in (
    ("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "divide"),
    ("pow", "power"), ("matmul", "matmul"), ("mod", "mod")) for r in ("", "r")}
_OPERATORS.update(__neg__="negative", __abs__="absolute", __getitem__="getitem")


def current_scope():
    return getattr(_scopes, "stack", ())


class RecordingTrace(ReverseTrace):
    """A tape that remembers each entry's scope and sweep phase, and keeps every value. It
    observes the reverse sweeps run while it records (core/reverse.observe_sweeps)."""

    __slots__ = ("meta", "names", "_pending_names", "_sweeps", "_entry", "_entries",
                 "_call", "_calls")

    def __init__(self, input_names=()):
        super().__init__(keeps_values=True)
        # per tape entry: (scope tuple, inside a backward sweep?, group): the group, (key, name)
        # or None, is the NumPy-level call (mean, matmul, prod, ...) or the derivative of one
        # primitive or call that recorded the entry, drawn as one node
        self.meta = []
        self.names = {}  # input tape index -> argument name
        self._pending_names = list(input_names)  # for the inputs, in order
        self._sweeps = 0  # how many reverse sweeps are running (they may nest)
        self._entry = None  # the recorded output whose cotangent a sweep is pulling back
        self._entries = 0  # entries pulled back so far (a derivative group's serial)
        self._call = None  # (outermost library frame, group) of the last NumPy-level call
        self._calls = 0

    def sweep_start(self):
        self._sweeps += 1

    def sweep_entry(self, out):
        self._entry = out
        self._entries += 1

    def sweep_end(self):
        self._sweeps -= 1
        self._entry = None  # hold no value (nor the trace behind it) past the sweep
        self._call = None

    def input(self, value):
        node = super().input(value)
        self.meta.append((current_scope(), False, None))
        self.names[node.index] = self._pending_names.pop(0) if self._pending_names else "x"
        return node

    def process(self, prim, args, params):
        node = super().process(prim, args, params)
        backward = self._sweeps > 0
        scope = current_scope()
        if backward:
            group = None
            forward = self._forward_index(self._entry)
            if forward is not None:
                fscope, _, fgroup = self.meta[forward]
                scope = scope or fscope  # a sweep operation joins the scope of what it
                # differentiates; and the derivative of a call's entries forms one group
                group = (("d", fgroup[0]) if fgroup else ("d", forward),
                         "∂" + (fgroup[1] if fgroup else self.tape[forward][0].name))
            elif self._entry is not None:
                group = (("d", "entry", self._entries), "∂")
        else:
            group = self._calling_group(prim)
        self.meta.append((scope, backward, group))
        return node

    def _forward_index(self, entry):
        """The tape index of the recorded value a sweep's entry holds (through dual numbers)."""
        while isinstance(entry, Tracer):
            if isinstance(entry, Node) and entry._trace is self:
                return entry.index
            entry = entry.value
        return None

    def _calling_group(self, prim):
        """(key, name) of the library call below the user's code that is recording this
        primitive (anp.mean, x @ w, np.prod, ...): the outermost of the frames of autodiff's
        NumPy layer, primitives and core that directly lie under a frame of the user's."""
        frame, chain = sys._getframe(2), []
        while frame is not None and _in_library(frame):
            chain.append(frame)
            frame = frame.f_back
        if not chain:
            return None
        call = self._call
        if call is None or call[0] is not chain[-1]:  # holding the frame keeps its id unique
            name = prim.name
            for f in reversed(chain):  # from the user's call inwards, past the dispatching
                code = f.f_code.co_name
                if code in _OPERATORS:
                    name = _OPERATORS[code]
                    break
                if code not in _DISPATCH and not code.startswith("_") and \
                        f.f_code.co_filename.startswith(_NAMING):
                    name = code
                    break
            self._calls += 1
            call = self._call = (chain[-1], (("call", self._calls), name))
        return call[1]


class GraphNode:
    """One node of a picture: kind is input, op, const, output, group (collapsed) or guard (a
    value ad.jit's replay checks)."""

    __slots__ = ("id", "kind", "op", "label", "shape", "dtype", "value", "grad", "scope",
                 "flow", "count", "ops", "order", "call", "status", "note")

    def __init__(self, id, kind, op, shape=None, dtype=None, value=None, scope=(),
                 flow="primal", label=None):
        self.id, self.kind, self.op, self.label = id, kind, op, label or op
        self.shape, self.dtype, self.value, self.grad = shape, dtype, value, None
        self.scope, self.flow, self.count, self.ops = scope, flow, 1, None
        self.order = id if isinstance(id, int) else float("inf")  # tape position
        self.call = None  # (key, name) of the NumPy-level call or derivative it belongs to
        self.status = None  # a staged program's step the optimization "dropped" or "merged"
        self.note = None  # a line of small print under the label


class GraphModel:
    """Nodes and edges read off a recorded tape, before any collapsing or drawing."""

    def __init__(self, title):
        self.title = title
        self.nodes = {}
        self.edges = []  # (source id, target id, multiplicity)
        self.notes = []

    def add(self, node):
        self.nodes[node.id] = node
        return node


def argument_names(f, args):
    """Names for the leaves of f's positional arguments, from its signature."""
    try:
        params = list(inspect.signature(f).parameters.values())
        names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    names += [f"arg{i}" for i in range(len(names), len(args))]
    out = []
    for name, a in zip(names, args):
        if flatten(a)[1].kind == "leaf":
            out.append(name)
        else:
            out.extend(f"{name}{path}" for path in _leaf_paths(a))
    return out


def _leaf_paths(tree, prefix=""):
    if isinstance(tree, dict):
        for k in sorted(tree):
            yield from _leaf_paths(tree[k], f"{prefix}[{k!r}]")
    elif isinstance(tree, (list, tuple)):
        for i, t in enumerate(tree):
            yield from _leaf_paths(t, f"{prefix}[{i}]")
    elif tree is not None:
        yield prefix


def record(f, args, names=None):
    """Run f on recording-tape inputs: (trace, input nodes, output leaves)."""
    trace = RecordingTrace(names or argument_names(f, args))
    with observe_sweeps(trace):
        trace, nodes, _, out = record_on("autodiff.viz", lambda a: f(*a), tuple(args), trace)
    return trace, nodes, flatten(out)[0]


def _describe(prim, params, values, parents):
    """An op label: the name, scalar constants in their argument places (• for the traced
    values and arrays), and the key parameters, e.g. `subtract(1, •)` or `sum axis=(0,)`."""
    traced = {a for a, _ in parents}
    scalars = [i for i, v in enumerate(values)
               if i not in traced and _single(v)]
    label = prim.name
    if scalars and prim.name != "where":
        label += "(" + ", ".join(_fmt(np.ravel(primal(v))[0]) if i in scalars else "•"
                                 for i, v in enumerate(values)) + ")"
    bits = [f"{k}={params[k]}" for k in ("axis", "axes", "spec", "shape") if k in params]
    return " ".join([label] + bits)


def _single(v):
    """A plain number or one-entry array (drawn inline in its op's label, as a number)."""
    if type(v) in (float, int, bool):
        return True
    return isinstance(v, (np.ndarray, np.generic)) and v.size == 1


def _fmt(x):
    return f"{float(x) + 0.0:.4g}"  # + 0.0: no "-0"


def model_from_trace(trace, outputs, title, grads=None):
    """A GraphModel of everything recorded on `trace` that leads to `outputs` (and of all
    inputs); `grads` (cotangents per tape index) annotates nodes."""
    model = GraphModel(title)
    tape, meta = trace.tape, trace.meta
    needed = _ancestors(tape, [o.index for o in outputs if trace.index_of(o) is not None])
    needed |= {i for i, entry in enumerate(tape) if entry[0] is None}  # inputs, always drawn
    const_ids = {}
    for i in sorted(needed):
        prim, params, values, parents, out = tape[i]
        scope, backward, call = meta[i]
        v = primal(out)
        if prim is None:
            node = model.add(GraphNode(i, "input", trace.names.get(i, "x"), np.shape(v),
                                       np.result_type(v), v, scope))
        else:
            node = model.add(GraphNode(i, "op", prim.name, np.shape(v), np.result_type(v), v,
                                       scope, "cotangent" if backward else "primal",
                                       label=_describe(prim, params, values, parents)))
            node.call = call
            for argnum, parent in parents:
                model.edges.append((parent, i, 1))
            traced = {a for a, _ in parents}
            for k, c in enumerate(values):
                if k in traced or isinstance(c, Tracer) or _single(c):  # inline in labels
                    continue
                cid = const_ids.setdefault(id(c), f"c{len(const_ids)}")
                if cid not in model.nodes:
                    cv = np.asarray(c)
                    model.add(GraphNode(cid, "const", "constant", cv.shape, cv.dtype, cv, scope))
                    model.nodes[cid].order = i
                model.edges.append((cid, i, 1))
        if grads is not None and grads[i] is not None:
            node.grad = np.broadcast_to(primal(grads[i]), np.shape(primal(out)))  # may be compact
    for k, o in enumerate(outputs):
        oid = f"out{k}"
        name = f"output {k}" if len(outputs) > 1 else "output"
        if trace.index_of(o) is None:  # it does not depend on the inputs
            v = primal(o)
            model.add(GraphNode(oid, "output", name, np.shape(v), np.result_type(v), v,
                                label=f"{name} (constant)"))
            continue
        model.add(GraphNode(oid, "output", name, label=name))
        model.edges.append((o.index, oid, 1))
    return model


def _ancestors(tape, roots):
    """Tape indices the roots depend on (iteratively)."""
    seen, stack = set(), list(roots)
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        stack.extend(p for _, p in tape[i][3])
    return seen


def mark_tangent_flow(model, tangent_inputs):
    """Mark the nodes that depend on the given inputs (the tangent v of an HVP)."""
    tangent = set(tangent_inputs)
    for src, dst, _ in sorted(model.edges, key=lambda e: model.nodes[e[1]].order):
        if src in tangent:
            tangent.add(dst)
    for nid in tangent & set(model.nodes):  # inputs H v does not depend on are not drawn
        node = model.nodes[nid]
        if node.kind == "op":
            node.flow = "tangent_cotangent" if node.flow == "cotangent" else "tangent"
        elif node.kind == "input":
            node.flow = "tangent"

