"""Pictures of what `ad.jit` replays: a staged program's steps, as optimized or as recorded.

The program is read through its public attributes (`Program.steps`, `guards`, `outputs`,
`merged`; the recording trace's `steps` and `guards`): each step is (function, parameters,
argument refs or constants, output ref). The steps are run once on the arguments to learn each
value's shape, dtype and value, as the replay would compute them.
"""
import numpy as np

from ..core.primitive import REGISTRY
from ..core.tracer import Tracer
from ..pytree import flatten, unflatten
from .record import GraphModel, GraphNode, argument_names, _single, _fmt


def record_program(fun, args):
    """(trace, program, input leaves) of one fresh recording of fun at args, as `ad.jit`
    makes it (fun's Python side effects happen once more). Raises ValueError, naming the
    reason, if ad.jit would not stage fun at these arguments."""
    from ..staging import StagingTrace, Program, Staged, Jitted
    fun = fun.fun if isinstance(fun, Jitted) else fun
    leaves, tree = flatten(tuple(args))
    trace = StagingTrace()
    staged = [trace.input(x) for x in leaves]
    out_leaves, out_tree = flatten(fun(*unflatten(tree, staged)))
    for x in out_leaves:
        if isinstance(x, Tracer) and not (isinstance(x, Staged) and x._trace is trace):
            trace.unstageable = "the function returns a traced value of another trace"
    if trace.unstageable is not None:
        raise ValueError(f"program_graph: ad.jit does not stage this function at these "
                         f"arguments ({trace.unstageable}), so there is no program to draw")
    program = Program(trace, len(leaves), out_tree, out_leaves)
    outs = [x.ref if isinstance(x, Staged) else _Constant(x) for x in out_leaves]
    return trace, program, leaves, outs


class _Constant:
    """An output that does not depend on the inputs (as the program's constants: `.value`)."""

    def __init__(self, value):
        self.value = value


def _names():
    """{implementation: name} of the registry's primitives and their in-place cotangent
    accumulations, so steps are named as the primitives they run."""
    names = {}
    for p in REGISTRY.values():
        names.setdefault(id(p.impl), p.name)
        acc = getattr(p, "vjp_accumulate", None)
        if acc is not None:
            names.setdefault(id(acc), f"∂{p.name} add-into")
    return names


def step_name(impl, names):
    """A step's operation: its primitive's name, a NumPy function's or ufunc's own name, and
    `(in place)` for a step that writes into its first argument."""
    fn = getattr(impl, "fn", impl)  # an in-place step wraps its function
    name = names.get(id(fn))
    if name is None:
        name = getattr(fn, "__name__", None) or type(fn).__name__
        name = name.strip("_") or name
        if name == "<lambda>":
            name = "step"
    return name + (" (in place)" if fn is not impl else "")


def _run(steps, leaves):
    """{ref: value} of the inputs and of every step, computed as a replay does (in-place
    steps on copies: the values stay as each step made them). A step that cannot be run here
    (None: its value and what depends on it are not shown)."""
    env = dict(enumerate(leaves))
    for impl, params, refs, ref in steps:
        fn = getattr(impl, "fn", impl)
        try:
            args = [env[r] if type(r) is int else r.value for r in refs]
            if any(a is None for a, r in zip(args, refs) if type(r) is int):
                raise KeyError
            if fn is not impl and args and type(args[0]) is np.ndarray:
                args[0] = np.copy(args[0])
            env[ref] = fn(*args, **params)
        except Exception:  # noqa: BLE001  (a picture, not a computation: leave it blank)
            env[ref] = None
    return env


NUMERIC = (np.ndarray, np.generic, int, float, complex, bool)


def _recorded_text(value, limit=6):
    """A guard's recorded value, exactly (booleans as True/False), shortened if long."""
    a = np.asarray(value)
    items = [str(v) for v in a.ravel()[:limit].tolist()]
    text = items[0] if a.ndim == 0 else "[" + " ".join(items) + (" …" if a.size > limit else "") + "]"
    return text


def _index_text(index):
    """An index as Python writes it: (slice(None, None, -1),) -> [::-1]."""
    def one(i):
        if isinstance(i, slice):
            text = ":".join("" if v is None else str(v) for v in (i.start, i.stop, i.step))
            return text[:-1] if text.endswith("::") else text
        if i is Ellipsis:
            return "..."
        if i is None:
            return "None"
        if hasattr(i, "shape") and getattr(i, "size", 2) > 4:
            return f"<{i.dtype} array {'×'.join(map(str, i.shape))}>"
        return str(i).replace("\n", "")
    parts = index if isinstance(index, tuple) else (index,)
    return "[" + ", ".join(one(i) for i in parts) + "]"


def _params_text(params):
    """The short parameters of a step (axis=..., shape=..., an index as [::-1]); long ones and
    internal ones at their defaults left out."""
    bits = []
    for k, v in params.items():
        if k == "index":
            bits.append(_index_text(v))
            continue
        if k == "lead" and v == 0:  # getitem's leading batch axes: none
            continue
        text = f"{k}={v}"
        if len(text) <= 28:
            bits.append(text)
    return " ".join(bits)


def program_model(trace, program, leaves, outs, input_names, optimized, title):
    """A GraphModel of the program's steps: inputs, constants, steps, guards and outputs. Not
    optimized: every recorded step, those the optimization dropped, merged or fused marked so."""
    names = _names()
    kept_steps = program.steps
    kept = {step[3] for step in kept_steps}
    merged = dict(getattr(program, "merged", {}) or {})
    fused_into = {inner[3]: step[3] for step in kept_steps if _is_fused(step[0])
                  for inner in step[0].steps}  # a step run inside a fused loop: by its loop
    if optimized:
        steps, guards = kept_steps, program.guards
        outs = list(getattr(program, "outputs", outs))
    else:
        steps, guards = trace.steps, trace.guards
    env = _run(steps, leaves)
    model = GraphModel(title)
    n_inputs = len(leaves)
    for i in range(n_inputs):
        v = leaves[i]
        model.add(GraphNode(i, "input", input_names[i], np.shape(v), np.result_type(v), v))
    consts = {}
    for impl, params, refs, ref in steps:
        v = env.get(ref)
        op = label = step_name(impl, names)
        inline = [k for k, r in enumerate(refs) if type(r) is not int and _single(r.value)]
        # constants that are not numbers (None for a new buffer, a shape tuple) are not drawn
        if inline:
            label += "(" + ", ".join(_fmt(np.ravel(r.value)[0]) if k in inline else "•"
                                     for k, r in enumerate(refs)) + ")"
        ptext = _params_text(params)
        node = model.add(GraphNode(
            ref, "op", op, None if v is None else np.shape(v),
            None if v is None else np.result_type(v), v,
            flow="step", label=f"{label} {ptext}".strip() + f"  → v{ref}"))
        if not optimized and ref not in kept:
            target = merged.get(ref)
            if ref in fused_into:
                node.status = "fused"
                node.note = f"run inside the fused loop v{fused_into[ref]}"
            elif target is not None:
                node.status, node.note = "merged", f"merged into v{target} (the same step)"
            else:
                node.status, node.note = "dropped", "dropped: no output or guard needs it"
        for k, r in enumerate(refs):
            if type(r) is int:
                model.edges.append((r, ref, 1))
            elif k not in inline and isinstance(r.value, NUMERIC):
                cid = consts.setdefault(id(r), f"c{len(consts)}")
                if cid not in model.nodes:
                    cv = np.asarray(r.value)
                    model.add(GraphNode(cid, "const", "constant", cv.shape, cv.dtype, cv))
                    model.nodes[cid].order = ref
                model.edges.append((cid, ref, 1))
    for ref, recorded in guards.items():
        gid = f"guard{ref}"
        node = model.add(GraphNode(gid, "guard", "guard", np.shape(recorded),
                                   np.asarray(recorded).dtype,
                                   label=f"guard: v{ref} == {_recorded_text(recorded)}"))
        node.note = "else: record again"
        node.order = ref + 0.5
        model.edges.append((ref, gid, 1))
    for k, r in enumerate(outs):
        oid = f"out{k}"
        name = f"output {k}" if len(outs) > 1 else "output"
        if type(r) is int:
            model.add(GraphNode(oid, "output", name, label=name))
            model.edges.append((r, oid, 1))
        else:  # a constant output (it does not depend on the inputs)
            v = r.value
            model.add(GraphNode(oid, "output", name, np.shape(v), np.result_type(v), v,
                                label=f"{name} (constant)"))
    return model


def _is_fused(impl):
    return getattr(impl, "__name__", None) == "fused" and hasattr(impl, "steps")


def input_names(fun, args):
    from ..staging import Jitted
    return argument_names(fun.fun if isinstance(fun, Jitted) else fun, args)
