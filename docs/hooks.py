"""MkDocs hooks: pages that cannot go stale because they are generated from the code.

- `<!-- operator-coverage -->` becomes a table of the primitive registry and the
  autodiff.numpy namespace;
- `<!-- benchmark-results -->` becomes benchmarks/results/results.md (the last full run);
- images/generated/*.svg are drawn by autodiff.viz at build time, and time_vs_n.png is the last
  full benchmark run's plot.
"""
import os

from mkdocs.structure.files import File

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def coverage_table():
    import autodiff.numpy  # noqa: F401  (fills the names it serves)
    from autodiff.core.primitive import REGISTRY
    from autodiff.numpy import nondiff, names
    batching = {"elementwise": "elementwise", "same": "as written", "rules": "batched rules",
                None: "one tangent at a time"}
    lines = ["| primitive | serves | arguments | structure | linear | batches of tangents |",
             "|---|---|---|---|---|---|"]
    builtin = [p for p in REGISTRY.values() if p.builtin]
    for p in sorted(builtin, key=lambda p: (p.sparsity or "", p.name)):
        served = ", ".join([f"`np.{n}`" for n in p.numpy] + [f"`scipy.{n}`" for n in p.scipy])
        served = served or "—"
        lines.append(f"| `{p.name}` | {served} | {', '.join(p.args)} | {p.sparsity} | "
                     f"{'yes' if p.linear else ''} | {batching[p.batching]} |")
    functions = {id(p.function) for p in builtin}
    composed = sorted(n for n, fn in names.SERVED.items()
                      if id(fn) not in functions and "." not in n)
    constant = sorted(nondiff.NONDIFF_UFUNCS + nondiff.NONDIFF_FUNCTIONS)
    lines += ["", f"**Composed from primitives** ({len(composed)}): "
              + ", ".join(f"`{n}`" for n in composed) + ".", "",
              f"**No derivative (piecewise constant, run on values)** ({len(constant)}): "
              + ", ".join(f"`{n}`" for n in constant) + ".", "",
              "**linalg** (`svd` thin: `full_matrices=False`, or square; `eig` see "
              "[Complex numbers](complex.md)): "
              + ", ".join(f"`{n[len('linalg.'):]}`" for n in sorted(names.SERVED)
                          if n.startswith("linalg.")) + ".", "",
              "**fft** (see [Complex numbers](complex.md)): "
              + ", ".join(f"`{n[len('fft.'):]}`" for n in sorted(names.SERVED)
                          if n.startswith("fft.")) + "."]
    return "\n".join(lines)


def benchmark_results():
    path = os.path.join(ROOT, "benchmarks", "results", "results.md")
    if not os.path.exists(path):
        return "*(no benchmark results yet: run `python benchmarks/run.py`)*"
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def on_page_markdown(markdown, page, config, files):
    markdown = markdown.replace("<!-- operator-coverage -->", coverage_table())
    return markdown.replace("<!-- benchmark-results -->", benchmark_results())


def _pictures():
    import numpy as np
    import autodiff as ad
    import autodiff.numpy as anp

    def f(x):
        return anp.sum(anp.sin(x) * x ** 2)
    x, v = np.array([0.5, -1.0]), np.array([1.0, 0.5])
    return {"forward.svg": ad.viz.graph(f, x, grads=True),
            "grad_sweep.svg": ad.viz.grad_graph(f, x),
            "hvp_sweep.svg": ad.viz.hvp_graph(f, x, v)}


def on_files(files, config):
    for name, graph in _pictures().items():
        svg = graph.to_dot().pipe(format="svg")
        files.append(File.generated(config, f"images/generated/{name}", content=svg))
    plot = os.path.join(ROOT, "benchmarks", "results", "time_vs_n.png")
    with open(plot, "rb") as fh:
        files.append(File.generated(config, "images/generated/time_vs_n.png", content=fh.read()))
    return files
