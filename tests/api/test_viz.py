"""autodiff.viz: real renders with Graphviz's dot, checked as files."""
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp
from autodiff.viz.__main__ import main as cli

needs_dot = pytest.mark.skipif(not ad.viz.dot_available() and not os.environ.get("CI"),
                               reason="Graphviz `dot` is not installed (CI always has it)")
SVG = "{http://www.w3.org/2000/svg}"


def mlp_loss(weights, bias, X):
    with ad.viz.scope("layer1"):
        h = anp.tanh(X @ weights + bias)
    with ad.viz.scope("loss"):
        return anp.mean(h ** 2)


W, B, X = np.full((3, 2), 0.1), np.zeros(2), np.arange(6.0).reshape(2, 3)


def svg_nodes(path):
    root = ET.parse(path).getroot()
    nodes = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") == "node":
            title = g.find(SVG + "title").text
            nodes[title] = " ".join(t.text or "" for t in g.iter(SVG + "text"))
    return nodes


@needs_dot
def test_forward_graph_svg_has_one_node_per_operation(tmp_path):
    g = ad.viz.graph(mlp_loss, W, B, X)
    path = g.render(str(tmp_path / "mlp.svg"))
    nodes = svg_nodes(path)
    recorded = {str(n.id) for n in g.model.nodes.values() if n.kind == "op" and n.count == 1}
    assert len(recorded) == 4  # matmul, add, tanh, power; and mean (sum, divide) as one node
    assert recorded <= set(nodes)
    drawn_ops = [t for t in nodes if t.isdigit() and t in recorded]
    assert len(drawn_ops) == len(recorded)
    labels = " ".join(nodes.values())
    for op in ("matmul", "tanh", "add", "mean", "sum, divide", "power(•, 2)"):
        assert op in labels
    assert "3×2 float64" in labels and "weights" in labels and "bias" in labels
    assert "output" in labels


@needs_dot
def test_png_and_pdf(tmp_path):
    g = ad.viz.graph(lambda x: anp.sum(anp.sin(x) * x), np.ones(3), grads=True)
    png = g.render(str(tmp_path / "f.png"))
    with open(png, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    assert width > 100 and height > 100
    pdf = g.render(str(tmp_path / "f.pdf"))
    assert open(pdf, "rb").read(5) == b"%PDF-"
    dot_file = g.render(str(tmp_path / "f.dot"))
    assert open(dot_file).read().startswith("digraph")


def test_gradient_annotation_and_scopes():
    src = ad.viz.graph(mlp_loss, W, B, X, grads=True).source
    assert "grad [" in src or "grad 1" in src
    assert "cluster_layer1" in src and "cluster_loss" in src
    assert "legend" in src


def test_value_display_can_be_turned_off():
    on = ad.viz.graph(lambda x: anp.sum(x * 2.0), np.array([1.5, 2.5])).source
    off = ad.viz.graph(lambda x: anp.sum(x * 2.0), np.array([1.5, 2.5]), values=False).source
    assert "[1.5 2.5]" in on and "[1.5 2.5]" not in off


@needs_dot
def test_grad_and_hvp_sweeps(tmp_path):
    f = lambda x: anp.sum(anp.sin(x) * x ** 2)
    x, v = np.array([1.0, 2.0]), np.array([0.5, -0.3])
    gg = ad.viz.grad_graph(f, x)
    flows = {n.flow for n in gg.model.nodes.values() if n.kind == "op"}
    assert flows == {"primal", "cotangent"}
    hg = ad.viz.hvp_graph(f, x, v)
    flows = {n.flow for n in hg.model.nodes.values() if n.kind == "op"}
    assert {"primal", "tangent", "cotangent", "tangent_cotangent"} <= flows
    src = hg.source
    assert "tangents of cotangents" in src and "style=dashed" in src
    nodes = svg_nodes(hg.render(str(tmp_path / "hvp.svg")))
    labels = " ".join(nodes.values())
    assert " v " in f" {labels} " and " x " in f" {labels} "
    # the picture's output is the HVP itself
    (last,) = [src for src, dst, _ in hg.model.edges if dst == "out0"]
    np.testing.assert_allclose(hg.model.nodes[last].value, ad.hvp(f, x, v))


@needs_dot
def test_large_graph_is_folded_under_budget(tmp_path):
    def chain(x):
        for _ in range(50_000):
            x = anp.tanh(x) * 1.01 + 0.001
        return anp.sum(x)
    g = ad.viz.graph(chain, np.ones(2), max_nodes=60)
    assert g.num_nodes <= 60 and any("chain" in n for n in g.notes)
    g.render(str(tmp_path / "chain.svg"))

    def layered(W, x):
        for k in range(40):
            with ad.viz.scope(f"layer{k}"):
                x = anp.tanh(W[k] @ x + anp.sin(x))
        return anp.sum(x)
    g = ad.viz.grad_graph(layered, np.full((40, 3, 3), 0.1), np.ones(3), max_nodes=80)
    assert g.num_nodes <= 80 and g.notes
    assert "ops" in g.source
    g.render(str(tmp_path / "layered.png"))


def test_render_without_dot_names_the_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on it
    g = ad.viz.graph(lambda x: anp.sum(x ** 2), np.ones(2))
    assert g.source.startswith("digraph") and g.to_dot() is not None
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        g.render(str(tmp_path / "f.png"))
    assert (tmp_path / "f.gv").exists()
    assert "text/plain" in g._repr_mimebundle_()


@needs_dot
def test_jupyter_repr():
    g = ad.viz.graph(lambda x: anp.sum(x ** 2), np.ones(2))
    assert g._repr_svg_().lstrip().startswith("<?xml")


@needs_dot
def test_command_line(tmp_path):
    target = tmp_path / "model.py"
    target.write_text("import numpy as np\ndef loss(w):\n    return np.sum(np.tanh(w) ** 2)\n")
    out = tmp_path / "loss.svg"
    assert cli([f"{target}:loss", "--args", "np.ones(3)", "-o", str(out)]) == 0
    assert "tanh" in " ".join(svg_nodes(out).values())
    out2 = tmp_path / "loss_hvp.png"
    assert cli([f"{target}:loss", "--args", "np.ones(3)", "--mode", "hvp", "--v", "np.ones(3)",
                "-o", str(out2)]) == 0
    assert out2.read_bytes()[:4] == b"\x89PNG"


def test_scopes_fold_per_flow_and_sweep_ops_join_their_scope():
    def deep(W, x):
        for k in range(W.shape[0]):
            with ad.viz.scope(f"layer{k}"):
                x = anp.tanh(W[k] @ x)
        return anp.sum(x)
    g = ad.viz.grad_graph(deep, np.full((5, 3, 3), 0.1), np.ones(3), max_nodes=20)
    groups = [n for n in g.model.nodes.values() if n.kind == "group"]
    by_scope = {}
    for n in groups:
        by_scope.setdefault(n.scope, set()).add(n.flow)
    assert all(flows == {"primal", "cotangent"} for flows in by_scope.values())
    assert len(by_scope) == 5 and g.num_nodes <= 20
    assert "scope:" not in g.source  # DOT names never carry a ":" (a port separator)


def test_scope_as_decorator_and_nesting():
    @ad.viz.scope("attention")
    def block(x):
        with ad.viz.scope("softmax"):
            e = anp.exp(x - anp.max(x))
            return e / anp.sum(e)
    g = ad.viz.graph(lambda x: anp.sum(block(x) ** 2), np.array([0.1, 0.7, -0.3]))
    scopes = {n.scope for n in g.model.nodes.values() if n.kind == "op"}
    assert ("attention", "softmax") in scopes and () in scopes
    src = g.source
    assert "cluster_attention" in src and "cluster_attention/softmax" in src


def test_constant_output_is_drawn_with_its_value():
    g = ad.viz.hvp_graph(lambda x: anp.sum(3.0 * x), np.ones(2), np.ones(2))  # H = 0
    kinds = sorted(n.kind for n in g.model.nodes.values())
    assert kinds == ["input", "input", "output"]
    assert "output (constant)" in g.source and "[0 0]" in g.source


def test_pytree_inputs_are_named_by_path():
    def loss(params):
        return anp.sum(params["w"] ** 2) * params["b"]
    p = {"w": np.ones(2), "b": 2.0}
    g = ad.viz.hvp_graph(loss, p, p)
    names = sorted(n.label for n in g.model.nodes.values() if n.kind == "input")
    assert names == ["params['b']", "params['w']", "v['b']", "v['w']"]


def test_import_autodiff_leaves_graphviz_until_a_picture_is_asked_for():
    code = ("import sys, numpy as np, autodiff as ad\n"
            "assert 'graphviz' not in sys.modules, 'import autodiff imported graphviz'\n"
            "g = ad.viz.graph(lambda x: (x ** 2).sum(), np.ones(2))\n"
            "assert g.source.startswith('digraph') and 'graphviz' in sys.modules\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(ad.__file__)))  # the autodiff tested
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_missing_graphviz_package_says_what_to_install(monkeypatch):
    g = ad.viz.graph(lambda x: anp.sum(x ** 2), np.ones(2))
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r"autodiff.viz\) uses graphviz, .*: pip install graphviz"):
        g.source


# --- pictures never hang: Graphviz's work is bounded by construction, and timed out ----------
def _scalar_loop(steps):
    def scalar_loop(x):  # x feeds every step: a hub with an edge to each
        y = x
        for _ in range(steps):
            y = anp.sin(y) * x + 0.1 * y
        return y
    return scalar_loop


def _weights_mlp(layers):
    rng = np.random.default_rng(0)
    Ws, X = [rng.normal(size=(3, 3)) * 0.5 for _ in range(layers)], rng.normal(size=(4, 3))

    def mlp(Ws):
        h = X
        for k, W in enumerate(Ws):
            with ad.viz.scope(f"layer{k}"):
                h = anp.tanh(h @ W)
        return anp.mean(h ** 2)
    return mlp, Ws


@needs_dot
def test_render_time_is_bounded_over_graph_shapes(tmp_path):
    """Shapes that took dot 10 s to many minutes with the default max_nodes (a 60-step loop,
    the grad sweep of a 200-step loop, HVP sweeps): now each renders well within 5 s."""
    import time
    from autodiff.viz.collapse import edge_span, SPAN_PER_NODE

    def chain(x):
        for _ in range(40):
            x = anp.tanh(x) * 1.01 + 0.001
        return anp.sum(x)
    mlp, Ws = _weights_mlp(60)
    pictures = [ad.viz.graph(_scalar_loop(60), 0.5),
                ad.viz.grad_graph(_scalar_loop(200), 0.5),
                ad.viz.hvp_graph(chain, np.ones(3), np.ones(3)),
                ad.viz.hvp_graph(mlp, Ws, [np.ones_like(W) for W in Ws])]
    for g in pictures:
        assert g.num_nodes <= ad.viz.DEFAULT_MAX_NODES
        assert edge_span(g.model) <= SPAN_PER_NODE * ad.viz.DEFAULT_MAX_NODES
        start = time.perf_counter()
        g.render(str(tmp_path / "shape.svg"), timeout=5)
        assert time.perf_counter() - start < 5, g.model.title


def test_render_timeout_stops_dot_and_says_what_to_do(tmp_path, monkeypatch):
    slow = tmp_path / "dot"
    slow.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 30\n")
    slow.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))  # a `dot` that never finishes
    g = ad.viz.graph(_scalar_loop(5), 0.5)
    with pytest.raises(ad.viz.RenderTimeout, match=r"within 0.5 s.*max_nodes="):
        g.render(str(tmp_path / "f.svg"), timeout=0.5)
    monkeypatch.setattr(sys.modules["autodiff.viz.graph"], "DEFAULT_TIMEOUT", 0.5)
    shown = g._repr_mimebundle_()  # a notebook cell shows why, and does not hang
    assert "image/svg+xml" not in shown and "max_nodes=" in shown["text/plain"]


@needs_dot
def test_render_path_without_suffix_gets_the_formats(tmp_path):
    g = ad.viz.graph(lambda x: anp.sum(x ** 2), np.ones(2))
    path = g.render(str(tmp_path / "out"), format="png")  # graphviz's convention
    assert path == str(tmp_path / "out.png") and not (tmp_path / "out").exists()
    assert (tmp_path / "out.png").read_bytes()[:4] == b"\x89PNG"
    assert g.render(str(tmp_path / "pic.svg")) == str(tmp_path / "pic.svg")  # a suffix stays
    assert g.render(tmp_path / "source", format="dot") == str(tmp_path / "source.dot")
    with pytest.raises(ValueError, match="unknown format 'jpeg2'"):
        g.render(str(tmp_path / "x"), format="jpeg2")


def test_fold_notes_count_in_words():
    g = ad.viz.graph(lambda x: anp.exp(anp.sin(anp.cos(x))), np.ones(2), max_nodes=3)
    assert "3 ops in 1 chain folded" in g.notes


# --- pictures show the user's operations, not the library's internals ----------------------
def test_library_calls_and_their_derivatives_are_one_node_each():
    def mlp_loss(W1, W2, X, y):
        h = anp.tanh(X @ W1)
        return anp.mean((h @ W2 - y) ** 2)  # W2 a vector: reshape, matmul, reshape inside
    rng = np.random.default_rng(0)
    W1, W2, X, y = (rng.normal(size=s) for s in ((3, 4), (4,), (8, 3), (8,)))
    ops = [n for n in ad.viz.graph(mlp_loss, W1, W2, X, y).model.nodes.values()
           if n.kind == "op"]
    assert sorted(n.label for n in ops) == ["matmul", "matmul", "mean", "power(•, 2)",
                                            "subtract", "tanh"]
    mean = [n for n in ops if n.label == "mean"][0]
    assert dict(mean.ops) == {"sum": 1, "divide": 1} and mean.value.shape == ()

    hg = ad.viz.hvp_graph(lambda x: np.prod(x), np.array([1.0, 2.0, 3.0]), np.ones(3))
    labels = sorted((n.label, n.flow) for n in hg.model.nodes.values() if n.kind == "op")
    assert labels == [("prod", "primal"), ("prod", "tangent"), ("∂prod", "cotangent"),
                      ("∂prod", "tangent_cotangent")]
    src = hg.source
    assert "concatenate" in src and "<B>index_add" not in src  # inside, listed, not nodes

    gg = ad.viz.grad_graph(lambda x: anp.sum(anp.tanh(x) * 2.0), np.array([-1.0, 0.5]))
    assert "∂tanh" in {n.label for n in gg.model.nodes.values()}
    assert not [n for n in gg.model.nodes.values() if n.kind == "const"]  # the seed is no node
    assert gg.model.title.startswith("grad(f):") and "lambda" not in gg.source


def test_a_call_node_shows_the_calls_value_not_a_derivative_helpers():
    # In an HVP the forward pass runs on dual numbers: np.sin also computes cos (for the
    # tangent) and x ** 2 computes 2 x, in the same call. The node "sin" showed cos(x).
    x, v = np.array([-1.2, 1.0]), np.array([1.0, 0.0])
    hg = ad.viz.hvp_graph(lambda x: np.sum(np.sin(x) * x ** 2), x, v)
    primal = {n.label: n for n in hg.model.nodes.values() if n.kind == "op" and n.flow == "primal"}
    assert dict(primal["sin"].ops) == {"sin": 1, "cos": 1}
    np.testing.assert_allclose(primal["sin"].value, np.sin(x))
    np.testing.assert_allclose(primal["power"].value, x ** 2)
    assert "[-0.932 0.841]" in hg.source  # sin(x), drawn


def test_values_never_read_minus_zero():
    g = ad.viz.graph(lambda x: x * 0.0, np.array([-1.0, -2.0]))
    assert "-0" not in g.source and "[0 0]" in g.source


def test_hvp_graph_takes_data_arguments():
    def loss(w, X):
        return anp.sum(anp.tanh(X @ w) ** 2)
    X, w, v = np.arange(6.0).reshape(2, 3) / 6, np.array([0.1, -0.2, 0.3]), np.ones(3)
    g = ad.viz.hvp_graph(loss, w, v, args=(X,))
    (last,) = [src for src, dst, _ in g.model.edges if dst == "out0"]
    np.testing.assert_allclose(g.model.nodes[last].value, ad.hvp(lambda w: loss(w, X), w, v))
    with pytest.raises(TypeError, match=r"args must be a tuple.*args=\(X,\)"):
        ad.viz.hvp_graph(loss, w, v, args=X)


@needs_dot
def test_command_line_hvp_with_data_and_one_line_errors(tmp_path, capsys):
    target = tmp_path / "model.py"
    target.write_text("import numpy as np\nX = np.arange(6.0).reshape(2, 3)\n"
                      "def loss(w, X):\n    return np.sum(np.tanh(X @ w) ** 2)\n")
    out = tmp_path / "h.svg"
    assert cli([f"{target}:loss", "--args", "np.ones(3), X", "--mode", "hvp", "--v",
                "np.ones(3)", "-o", str(out)]) == 0
    assert out.exists()
    for args in (["--args", "np.ones(3"], ["--args", "np.ones(3), Y"], ["--args", "np.ones(3)"],
                 ["--args", "np.ones(4), X", "--mode", "grad"]):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_:
            cli([f"{target}:loss", *args, "-o", str(out)])
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("python -m autodiff.viz: error: ") \
            and "Traceback" not in err, err


@needs_dot
def test_command_line_draws_the_programs_ad_jit_replays(tmp_path, capsys):
    target = tmp_path / "model.py"
    target.write_text("import numpy as np\nX = np.arange(6.0).reshape(2, 3)\n"
                      "def loss(w, X):\n    return np.sum(np.tanh(X @ w) ** 2)\n"
                      "def floaty(w):\n    return w[0] * float(w[1])\n")
    out = tmp_path / "p.dot"
    assert cli([f"{target}:loss", "--args", "np.ones(3), X", "--mode", "jit-grad",
                "-o", str(out)]) == 0
    assert "ad.jit(grad(loss)): the program a replay runs" in out.read_text()
    assert cli([f"{target}:loss", "--args", "np.ones(3), X", "--mode", "jit-hvp", "--v",
                "np.ones(3)", "--recorded", "-o", str(out)]) == 0
    dot = out.read_text()
    assert "ad.jit(hvp(loss)): the program as recorded" in dot and "dropped" in dot
    for name in ("w", "v", "X"):  # the inputs, named as loss's parameters
        assert f"<B>{name}</B>" in dot
    for args in (["--mode", "jit-hvp"], ["--mode", "hvp", "--v", "np.ones(3)", "--recorded"]):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_:
            cli([f"{target}:loss", "--args", "np.ones(3), X", *args, "-o", str(out)])
        assert exit_.value.code == 2 and capsys.readouterr().err.count("\n") == 1
    with pytest.raises(SystemExit) as exit_:  # ad.jit does not stage it: one line saying why
        cli([f"{target}:floaty", "--args", "np.ones(3)", "--mode", "jit-grad", "-o", str(out)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "float" in err and err.count("\n") == 1, err


# --- pictures of ad.jit's programs -------------------------------------------------------------
def twice_sin(x):  # sin(x) twice (merged), f's own value unused by an HVP (dropped)
    return np.sum(np.sin(x) * x[::-1]) + np.sum(np.sin(x))


def test_program_graph_draws_the_steps_a_replay_runs(tmp_path):
    jitted = ad.jit(ad.grad(twice_sin))
    x = np.array([0.3, -1.2, 2.0])
    jitted(x)
    program, = jitted.programs(x)
    g = ad.viz.program_graph(jitted, x)
    steps = [n for n in g.model.nodes.values() if n.kind == "op"]
    assert len(steps) == len(program.steps) < program.recorded_steps
    assert {n.id for n in steps} == {step[3] for step in program.steps}
    # each node names the variable of the replayed Python, and its shape
    source = program.source
    for n in steps:
        assert f"v{n.id} = " in source and f"→ v{n.id}" in n.label
    labels = " ".join(n.label for n in steps)
    assert "sin" in labels and "cos" in labels and "getitem [::-1]" in labels
    assert "(in place)" in labels  # the reverse sweep's accumulation into a buffer
    assert "3 float64" in g.source and "output" in g.source and "ad.jit(grad(twice_sin))" in \
        g.source
    # the same program whether the function given is jitted or not
    same = ad.viz.program_graph(ad.grad(twice_sin), x)
    assert sorted(map(str, same.model.nodes)) == sorted(map(str, g.model.nodes))


def test_program_graph_before_optimization_marks_dropped_and_merged_steps():
    x, v = np.array([0.3, -1.2, 2.0]), np.ones(3)
    hvp = ad.jit(lambda x, v: ad.hvp(twice_sin, x, v))
    hvp(x, v)
    after = ad.viz.program_graph(hvp, x, v)
    before = ad.viz.program_graph(hvp, x, v, optimized=False)
    program = hvp.programs(x, v)[0]
    ran = {n.id for n in after.model.nodes.values() if n.kind == "op"}
    recorded = {n.id: n for n in before.model.nodes.values() if n.kind == "op"}
    assert len(recorded) == program.recorded_steps and ran < set(recorded)
    statuses = {n.status for n in recorded.values()}
    assert statuses == {None, "dropped", "merged"}
    assert {i for i, n in recorded.items() if n.status is None} == ran
    for n in recorded.values():
        if n.status == "merged":  # into a step that runs, of the same operation
            target = int(n.note.split()[2][1:])
            assert target in ran and recorded[target].op == n.op
    sin_steps = [n for n in recorded.values() if n.op == "sin"]
    assert len(sin_steps) > 1 and sum(n.status is None for n in sin_steps) == 1
    assert "dropped by optimization" in before.source and "merged by optimization" in \
        before.source
    assert "dropped" not in after.source


def test_program_graph_before_optimization_marks_fused_steps():
    """Steps run inside a fused loop (ad.shortcuts "fusion", large arrays) are marked with
    their loop, not as dead code."""
    def rosenbrock(x):
        return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    grad = ad.jit(ad.grad(rosenbrock))
    x = np.linspace(-1.0, 1.0, 10000)
    before = ad.viz.program_graph(grad, x, optimized=False)
    after = ad.viz.program_graph(grad, x)
    fused = [n for n in before.model.nodes.values() if n.status == "fused"]
    loops = {n.id for n in after.model.nodes.values() if n.kind == "op" and "fused" in n.op}
    assert fused and loops
    assert all(int(n.note.split()[-1][1:]) in loops for n in fused)
    with ad.shortcuts.disabled("fusion"):
        plain = ad.viz.program_graph(grad, x, optimized=False)
    dead = {n.id for n in plain.model.nodes.values() if n.status == "dropped"}
    assert {n.id for n in before.model.nodes.values() if n.status == "dropped"} == dead


def test_program_graph_shows_guards_and_constant_outputs():
    def branchy(x):
        if x[0] > 0:
            return np.sum(x ** 2)
        return np.sum(np.cos(x))
    for point, outcome in ((np.array([1.0, 2.0]), "True"), (np.array([-1.0, 2.0]), "False")):
        g = ad.viz.program_graph(ad.jit(ad.grad(branchy)), point)
        guards = [n for n in g.model.nodes.values() if n.kind == "guard"]
        assert len(guards) == 1 and guards[0].label.endswith(f"== {outcome}")
        assert "guard (checked at each replay)" in g.source
    g = ad.viz.program_graph(ad.hessian(lambda x: np.sum(3.0 * x)), np.ones(2))  # H = 0
    assert "output (constant)" in g.source


def test_program_graph_of_an_unstaged_function_says_why():
    def reads_a_float(x):
        return np.sum(x) * float(x[0])
    with pytest.raises(ValueError, match="does not stage.*floating value"):
        ad.viz.program_graph(ad.jit(reads_a_float), np.array([1.0, 2.0]))


@needs_dot
def test_program_graph_renders_and_folds_large_programs(tmp_path):
    x = np.array([0.3, -1.2, 2.0])
    g = ad.viz.program_graph(ad.jit(lambda x, v: ad.hvp(twice_sin, x, v)), x, x,
                             optimized=False)
    png = g.render(str(tmp_path / "program"), format="png")
    assert png.endswith("program.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in g._repr_svg_()

    def chain(x):
        for _ in range(300):
            x = np.tanh(x) * 1.01
        return np.sum(x)
    g = ad.viz.program_graph(ad.grad(chain), np.ones(2), max_nodes=40)
    assert g.num_nodes <= 40 and g.notes
    g.render(str(tmp_path / "chain.svg"))
