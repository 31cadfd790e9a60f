"""`Graph`: a recorded computation ready to be drawn, and the functions that make one."""
import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

import numpy as np

from ..core.tracer import primal
from ..transforms import grad as grad_transform, hvp as hvp_transform
from .collapse import collapse, merge_calls
from .record import record, model_from_trace, mark_tangent_flow, argument_names
from .record import GraphModel
from .program import record_program, program_model, input_names as program_input_names
from .render import to_digraph, run_dot, INSTALL_HINT
from ..typing import ArgNums, Fun, PyTree

if TYPE_CHECKING:
    import graphviz

DEFAULT_MAX_NODES = 120
DEFAULT_TIMEOUT = 30.0  # seconds Graphviz may take for one picture
FORMATS = ("svg", "png", "pdf", "dot", "gv")
PathLike = Union[str, "os.PathLike[str]"]


class Graph:
    """A picture of a computation. `.to_dot()` gives a graphviz.Digraph, `.source` its DOT
    text, `.render(path)` writes svg/png/pdf/dot; in Jupyter it shows itself inline."""

    def __init__(self, model: GraphModel, values: bool = True, rankdir: str = "TB") -> None:
        self.model = model
        self.values = values
        self.rankdir = rankdir

    @property
    def notes(self) -> List[str]:
        """What was folded to keep the picture readable (empty if nothing)."""
        return list(self.model.notes)

    @property
    def num_nodes(self) -> int:
        return len(self.model.nodes)

    def to_dot(self) -> "graphviz.Digraph":
        return to_digraph(self.model, self.values, self.rankdir)

    @property
    def source(self) -> str:
        return self.to_dot().source

    def render(self, path: PathLike, format: Optional[str] = None,
               timeout: Optional[float] = DEFAULT_TIMEOUT) -> PathLike:
        """Write the picture (svg, png, pdf, or the DOT text as dot/gv) and return the path
        written. The format is the path's suffix unless given; a path without a suffix gets
        the format's, as graphviz's own `render` does ("out", format="png" -> out.png).
        Graphviz is stopped after `timeout` seconds (None: no limit) with an error that says
        what to do, so a picture never hangs."""
        stem, suffix = os.path.splitext(os.fspath(path))
        format = (format or suffix.lstrip(".") or "svg").lower()
        if format not in FORMATS:
            raise ValueError(f"render: unknown format {format!r}; use one of {', '.join(FORMATS)}")
        if not suffix:
            path = f"{stem}.{format}"
        if format in ("dot", "gv"):
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(self.source)
            return path
        source = self.source
        try:
            data = run_dot(source, format, timeout, self.num_nodes)
        except FileNotFoundError:
            gv = stem + ".gv"
            with open(gv, "w", encoding="utf-8") as fh:
                fh.write(source)
            raise RuntimeError(INSTALL_HINT.format(gv)) from None
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Dict[str, str]:
        try:
            svg = run_dot(self.source, "svg", DEFAULT_TIMEOUT, self.num_nodes)
        except FileNotFoundError:
            return {"text/plain": self.source}
        except RuntimeError as e:  # too slow or failed: say so, do not hang the notebook
            return {"text/plain": f"{self!r}\n{e}"}
        return {"image/svg+xml": svg.decode("utf-8")}

    def _repr_svg_(self) -> Optional[str]:
        return self._repr_mimebundle_().get("image/svg+xml")

    def __repr__(self) -> str:
        notes = f", folded: {'; '.join(self.notes)}" if self.notes else ""
        return f"<autodiff.viz.Graph {self.model.title!r}: {self.num_nodes} nodes{notes}>"


def _name(f):
    """f's name for a title: "f" for a lambda (not "<lambda>"), a partial's function's name."""
    f = getattr(f, "func", f)  # functools.partial
    name = getattr(f, "__name__", "f")
    return "f" if name.startswith("<") else name


def _finish(model, max_nodes, values, rankdir):
    return Graph(collapse(merge_calls(model), max_nodes), values, rankdir)


def graph(f: Fun, *args: PyTree, grads: bool = False, values: bool = True,
          max_nodes: int = DEFAULT_MAX_NODES, rankdir: str = "TB",
          title: Optional[str] = None) -> Graph:
    """The forward computation graph of f at args. With grads=True, each node also shows the
    cotangent that reached it in the reverse sweep (f's output is seeded with ones)."""
    trace, _, outs = record(f, args)
    cts = None
    if grads:
        seeds = {o.index: np.ones(np.shape(primal(o.value)))
                 for o in outs if trace.index_of(o) is not None}
        cts = trace.backward(seeds, keep_all=True) if seeds else None
    model = model_from_trace(trace, outs, title or f"{_name(f)}: forward graph"
                             + (" with gradients" if grads else ""), cts)
    return _finish(model, max_nodes, values, rankdir)


def grad_graph(f: Fun, *args: PyTree, argnums: ArgNums = 0, values: bool = True,
               max_nodes: int = DEFAULT_MAX_NODES, rankdir: str = "TB",
               title: Optional[str] = None) -> Graph:
    """The computation of grad(f) at args as a graph of its own: the forward pass and the
    reverse sweep (cotangents) that produces the gradient."""
    g = grad_transform(f, argnums)
    names = argument_names(f, args)
    trace, _, outs = record(lambda *a: g(*a), args, names)
    model = model_from_trace(trace, outs,
                             title or f"grad({_name(f)}): forward pass and reverse sweep")
    return _finish(model, max_nodes, values, rankdir)


def hvp_graph(f: Fun, x: PyTree, v: PyTree, args: tuple = (), values: bool = True,
              max_nodes: int = DEFAULT_MAX_NODES, rankdir: str = "TB",
              title: Optional[str] = None) -> Graph:
    """The computation of hvp(f, x, v) as a graph: forward-over-reverse, with the primal and
    tangent flows of the forward pass and of the reverse sweep told apart. `args` are f's
    further (data) arguments, held fixed as scipy's `args=`: the Hessian is in x only."""
    if not isinstance(args, tuple):
        raise TypeError(f"hvp_graph: args must be a tuple of f's further arguments (as scipy's "
                        f"args=), got {type(args).__name__}; for one argument write args=(X,)")
    names = argument_names(f, (x,))
    base = argument_names(f, (0.0,))[0]  # the parameter's own name: v's leaves mirror x's
    names += ["v" + n[len(base):] for n in names]
    trace, inputs, outs = record(
        lambda x, v: hvp_transform(lambda x: f(x, *args), x, v), (x, v), names)
    model = model_from_trace(trace, outs, title or f"hvp({_name(f)}): forward-over-reverse")
    mark_tangent_flow(model, [n.index for n in inputs[len(inputs) // 2:]])
    return _finish(model, max_nodes, values, rankdir)


def program_graph(fun: Fun, *args: PyTree, optimized: bool = True, values: bool = True,
                  max_nodes: int = DEFAULT_MAX_NODES, rankdir: str = "TB",
                  title: Optional[str] = None) -> Graph:
    """The program `ad.jit` replays for fun at args (fun jitted or not: `ad.jit(ad.grad(f))`
    and `ad.grad(f)` draw the same program): its steps (one NumPy call each, named as the
    primitive it runs, with the value's shape), inputs, constants, guards and outputs.
    optimized=True draws the steps a replay runs; False draws every recorded step, those the
    optimization dropped (no output needs them), merged (a repeated computation) or fused (run
    inside one loop with others: ad.shortcuts "fusion") marked so.
    fun is recorded afresh for the picture (its Python side effects happen once more)."""
    trace, program, leaves, outs = record_program(fun, args)
    names = program_input_names(fun, args)
    n_kept, n_recorded = len(program.steps), program.recorded_steps
    if title is None:
        title = f"ad.jit({_name(getattr(fun, 'fun', fun))}): " + (
            f"the program a replay runs ({n_kept} steps of {n_recorded} recorded)" if optimized
            else f"the program as recorded ({n_recorded} steps; {n_recorded - n_kept} dropped, "
                 "merged or fused by the optimization)")
    model = program_model(trace, program, leaves, outs, names, optimized, title)
    return Graph(collapse(model, max_nodes), values, rankdir)
