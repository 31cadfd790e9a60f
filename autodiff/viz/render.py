"""Drawing a GraphModel with Graphviz: node styles per kind and flow, HTML-like labels
(op | shape dtype | value | gradient, as micrograd's records), scope clusters and a legend."""
import html
import shutil
import subprocess
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

import numpy as np

from .._optional import require
from .record import GraphModel, GraphNode

if TYPE_CHECKING:
    import graphviz as graphviz_module

FLOW_STYLE = {  # fill colour, edge colour, edge style, legend text
    "primal": ("#dbe9f6", "#34495e", "solid", "forward (primal) values"),
    "tangent": ("#fde3c3", "#e67e22", "dashed", "tangents (forward mode)"),
    "cotangent": ("#f7d4d4", "#c0392b", "solid", "cotangents (reverse sweep)"),
    "tangent_cotangent": ("#e6d3f2", "#8e44ad", "dashed", "tangents of cotangents (H·v)"),
    "step": ("#dbe9f6", "#34495e", "solid", "step (one NumPy call)"),  # of a staged program
}
STATUS_STYLE = {  # fill colour, legend text: steps of a staged program not run by the replay
    "dropped": ("#eeeeee", "dropped by optimization (dead)"),
    "merged": ("#fff4cc", "merged by optimization (repeated)"),
    "fused": ("#e0f2e9", "fused into one loop with others"),
}
INSTALL_HINT = ("Graphviz's `dot` program is needed to render images: install it with "
                "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
                "`conda install -c conda-forge graphviz`. The graph's DOT source was written to {}.")

# Bounds on dot's iterative phases (network simplex for ranks and coordinates, crossing
# minimization): the folding bounds the graph, these bound the passes over it.
LAYOUT_LIMITS = dict(nslimit="2", nslimit1="2", mclimit="0.5", remincross="false")


def graphviz():
    """The graphviz package, imported when a picture is first asked for (not by
    `import autodiff`)."""
    return require("graphviz", None, "drawing pictures (autodiff.viz)")


def summarize(value, limit=4):
    """A short text for a value: scalars and short vectors in full, else range and norm."""
    if value is None:
        return ""
    a = np.asarray(value)
    if a.dtype.kind not in "biuf":
        return ""
    if a.size == 0:
        return "[]"
    if a.dtype.kind == "b":  # masks: True / False, not 1 / 0
        text = " ".join(str(bool(v)) for v in a.ravel()[:limit])
        return text if a.ndim == 0 else f"[{text}{' …' if a.size > limit else ''}]"
    if a.ndim == 0:
        return f"{float(a) + 0.0:.4g}"  # + 0.0 turns -0 into 0
    if a.size <= limit:
        return "[" + " ".join(f"{float(v) + 0.0:.3g}" for v in a.ravel()) + "]"
    af = a.astype(float)
    return f"[{af.min() + 0.0:.3g} … {af.max() + 0.0:.3g}] ‖·‖={np.linalg.norm(af):.3g}"


def _ops_text(ops):
    top = ", ".join(f"{op}×{k}" if k > 1 else op for op, k in ops.most_common(4))
    return top + ("" if len(ops) <= 4 else ", …")


def _shape_text(node):
    if node.shape is None:
        return ""
    shape = "scalar" if node.shape == () else "×".join(map(str, node.shape))
    return f"{shape} {node.dtype}" if node.dtype is not None else shape


def _label(node, values):
    rows = [f"<B>{html.escape(node.label)}</B>"]
    if node.kind == "group":
        rows = [f"<B>{node.count} ops</B>",
                f'<FONT POINT-SIZE="9">{html.escape(_ops_text(node.ops))}</FONT>']
    small = '<FONT POINT-SIZE="9" COLOR="#555555">{}</FONT>'
    if node.kind == "op" and node.ops:  # a call drawn as one node: what it is made of
        rows.append(small.format(html.escape(_ops_text(node.ops))))
    shape = _shape_text(node)
    if shape and (node.kind != "output" or node.value is not None):  # outputs: constants only
        rows.append(small.format(html.escape(shape)))
    if values and node.value is not None:
        text = summarize(node.value)
        if text:
            rows.append(f'<FONT POINT-SIZE="9">{html.escape(text)}</FONT>')
    if node.note:
        rows.append(small.format(html.escape(node.note)))
    if node.grad is not None:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="#c0392b">grad {html.escape(summarize(node.grad))}</FONT>')
    cells = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{cells}</TABLE>>'


def _node_attrs(node):
    fill = FLOW_STYLE[node.flow][0]
    if node.kind == "input":
        return dict(shape="ellipse", style="filled", fillcolor="#d5f0d5", color="#2e7d32",
                    penwidth="1.5")
    if node.kind == "const":
        return dict(shape="box", style="filled,dashed", fillcolor="#f2f2f2", color="#999999",
                    fontcolor="#555555")
    if node.kind == "output":
        return dict(shape="doubleoctagon", style="filled", fillcolor="#ffe08a", color="#b7950b")
    if node.kind == "group":
        return dict(shape="box3d", style="filled", fillcolor=fill, color="#555555")
    if node.kind == "guard":
        return dict(shape="hexagon", style="filled", fillcolor="#fadbd8", color="#a93226")
    if node.status in STATUS_STYLE:  # a step ad.jit's optimization took out of the program
        return dict(shape="box", style="rounded,filled,dashed", fillcolor=STATUS_STYLE[
            node.status][0], color="#999999", fontcolor="#777777")
    return dict(shape="box", style="rounded,filled", fillcolor=fill, color="#7f8c8d")


def to_digraph(model: GraphModel, values: bool = True,
               rankdir: str = "TB") -> "graphviz_module.Digraph":
    """The model as a graphviz.Digraph."""
    title = model.title + ("".join(f"\n({n})" for n in model.notes))
    dot = graphviz().Digraph(name="autodiff", graph_attr=dict(
        rankdir=rankdir, label=title, labelloc="t", fontname="Helvetica", fontsize="14",
        nodesep="0.25", ranksep="0.35", **LAYOUT_LIMITS),
        node_attr=dict(fontname="Helvetica", fontsize="11", margin="0.08,0.04"),
        edge_attr=dict(arrowsize="0.7"))
    clusters: Dict[Tuple[str, ...], Any] = {}  # scope path -> its graphviz subgraph
    # DOT names: tape positions as they are; others (which may hold ':', DOT's port
    # separator, from user scope names) numbered
    names = {nid: str(nid) if isinstance(nid, int) else f"n{k}"
             for k, nid in enumerate(model.nodes)}
    for node in sorted(model.nodes.values(), key=lambda n: n.order):
        target = _cluster(dot, clusters, node.scope)
        target.node(names[node.id], _label(node, values), **_node_attrs(node))
    for path in sorted(clusters, key=len, reverse=True):  # innermost first into their parents
        parent = clusters.get(path[:-1], dot) if len(path) > 1 else dot
        parent.subgraph(clusters[path])
    for src, dst, mult in model.edges:
        flow = model.nodes[src].flow if model.nodes[src].kind != "const" else "primal"
        _, colour, style, _ = FLOW_STYLE[flow]
        attrs = dict(color=colour, style=style)
        if mult > 1:  # an external label: placed after layout, it adds no rank to the graph
            attrs["xlabel"] = f"×{mult}"
            attrs["fontsize"] = "9"
        dot.edge(names[src], names[dst], **attrs)
    _legend(dot, model)
    return dot


def _cluster(dot, clusters, scope):
    if not scope:
        return dot
    for k in range(1, len(scope) + 1):
        path = scope[:k]
        if path not in clusters:
            clusters[path] = graphviz().Digraph(name="cluster_" + "/".join(path), graph_attr=dict(
                label=path[-1], style="rounded,dashed", color="#888888", fontcolor="#555555"))
    return clusters[scope]


def _legend(dot, model):
    kinds = {n.kind for n in model.nodes.values()}
    flows = {n.flow for n in model.nodes.values() if n.kind in ("op", "group")}
    with dot.subgraph(name="cluster_legend", graph_attr=dict(
            label="legend", style="rounded", color="#bbbbbb", fontsize="10")) as legend:
        entries = [("input", "input", _node_attrs_for("input"))]
        if "const" in kinds:
            entries.append(("const", "constant", _node_attrs_for("const")))
        for flow in FLOW_STYLE:
            if flow in flows:
                entries.append((flow, FLOW_STYLE[flow][3], dict(
                    shape="box", style="rounded,filled", fillcolor=FLOW_STYLE[flow][0],
                    color=FLOW_STYLE[flow][1])))
        if "group" in kinds:
            entries.append(("group", "folded ops (count)", _node_attrs_for("group")))
        statuses = {n.status for n in model.nodes.values()}
        for status, (_, text) in STATUS_STYLE.items():
            if status in statuses:
                node = GraphNode("legend", "op", status)
                node.status = status
                entries.append((status, text, _node_attrs(node)))
        if "guard" in kinds:
            entries.append(("guard", "guard (checked at each replay)", _node_attrs_for("guard")))
        entries.append(("output", "output", _node_attrs_for("output")))
        previous = None
        for key, text, attrs in entries:
            name = f"legend_{key}"
            legend.node(name, text, fontsize="9", **attrs)
            if previous:
                legend.edge(previous, name, style="invis")
            previous = name


def _node_attrs_for(kind):
    return _node_attrs(GraphNode("legend", kind, kind))


def dot_available() -> bool:
    """Whether Graphviz's `dot` program (needed for images, not for DOT text) is on the PATH."""
    return shutil.which("dot") is not None


class RenderTimeout(RuntimeError):
    """Graphviz's `dot` took longer than the render's timeout (it was stopped)."""


def run_dot(source: str, format: str, timeout: Optional[float], num_nodes: int) -> bytes:
    """The image bytes `dot -T<format>` makes of `source`, stopped after `timeout` seconds
    (None: no limit), so a picture never hangs a notebook. Raises FileNotFoundError without
    `dot`, RenderTimeout when it takes too long, RuntimeError when it fails."""
    exe = shutil.which("dot")
    if exe is None:
        raise FileNotFoundError("dot")
    try:
        done = subprocess.run([exe, f"-T{format}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderTimeout(
            f"Graphviz's dot did not finish drawing {num_nodes} nodes within {timeout:g} s and "
            f"was stopped: draw fewer with max_nodes= (e.g. max_nodes={max(10, num_nodes // 3)}),"
            f" or allow longer with render(..., timeout=seconds)") from None
    if done.returncode != 0:
        raise RuntimeError(f"Graphviz's dot -T{format} failed: "
                           f"{done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout
