"""How long Graphviz takes to draw autodiff.viz pictures with default options, over the graph
shapes that used to make `dot` explode: a scalar loop reusing its input (a hub feeding every
step), a tanh MLP with one scope per layer, and a deep chain of elementwise ops; each drawn as
the forward graph, the grad sweep and the HVP sweep, from 10 to 10^5 operations of f.

    python benchmarks/viz_render.py            # the full sweep (a few minutes)
    python benchmarks/viz_render.py --max-ops 1000

Prints one row per picture: recorded operations, nodes drawn, seconds to record and fold, and
the seconds `dot -Tsvg` took, as wall-clock time and as its CPU time (which a busy machine does
not inflate); exits non-zero if any render takes 5 CPU seconds or more.
"""
import argparse
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import autodiff as ad  # noqa: E402
import autodiff.numpy as anp  # noqa: E402

LIMIT = 5.0  # seconds, per render


def loop(n_ops):
    """y = sin(y) * x + 0.1 * y, repeated: 4 ops per step, x used by every step."""
    steps = max(1, n_ops // 4)

    def scalar_loop(x):
        y = x
        for _ in range(steps):
            y = anp.sin(y) * x + 0.1 * y
        return y
    return scalar_loop, (0.5,), np.float64(1.0)


def mlp(n_ops):
    """A tanh MLP of width 4, one scope per layer (about 4 ops per layer), mean-square loss."""
    layers = max(1, n_ops // 4)
    rng = np.random.default_rng(0)
    Ws = [rng.normal(size=(4, 4)) * 0.5 for _ in range(layers)]
    X = rng.normal(size=(8, 4))

    def mlp_loss(Ws):
        h = X
        for k, W in enumerate(Ws):
            with ad.viz.scope(f"layer{k}"):
                h = anp.tanh(h @ W)
        return anp.mean(h ** 2)
    return mlp_loss, (Ws,), [np.ones_like(W) for W in Ws]


def chain(n_ops):
    """x = tanh(x) * 1.01 + 0.001 on a vector, repeated: 3 ops per step, then a sum."""
    steps = max(1, n_ops // 3)

    def deep_chain(x):
        for _ in range(steps):
            x = anp.tanh(x) * 1.01 + 0.001
        return anp.sum(x)
    return deep_chain, (np.linspace(-1, 1, 3),), np.ones(3)


SHAPES = {"loop": loop, "mlp": mlp, "chain": chain}
MODES = ("graph", "grad_graph", "hvp_graph")


def picture(mode, f, args, v):
    if mode == "graph":
        return ad.viz.graph(f, *args)
    if mode == "grad_graph":
        return ad.viz.grad_graph(f, *args)
    return ad.viz.hvp_graph(f, args[0], v)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-ops", type=int, default=100_000)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--timeout", type=float, default=60.0, help="stop dot after this")
    opts = parser.parse_args(argv)
    sizes = [n for n in (10, 100, 1000, 10_000, 100_000) if n <= opts.max_ops]
    print(f"{'shape':6} {'picture':10} {'f ops':>7} {'recorded':>9} {'nodes':>6} "
          f"{'record s':>9} {'dot s':>7} {'dot cpu s':>9}")
    worst = 0.0
    for name in opts.shapes.split(","):
        for mode in opts.modes.split(","):
            for n in sizes:
                f, args, v = SHAPES[name](n)
                t0 = time.perf_counter()
                g = picture(mode, f, args, v)
                source = g.source
                t1 = time.perf_counter()
                cpu = _children_cpu()
                try:
                    g.render(_tmp("svg"), timeout=opts.timeout)
                except ad.viz.RenderTimeout:
                    pass
                t2 = time.perf_counter()
                cpu = _children_cpu() - cpu
                recorded = sum(node.count for node in g.model.nodes.values()
                               if node.kind in ("op", "group"))
                worst = max(worst, cpu)
                flag = "" if cpu < LIMIT else "  <- over the limit"
                print(f"{name:6} {mode:10} {n:>7} {recorded:>9} {g.num_nodes:>6} "
                      f"{t1 - t0:>9.2f} {t2 - t1:>7.2f} {cpu:>9.2f}{flag}", flush=True)
                del source
    print(f"slowest render: {worst:.2f} CPU s (limit {LIMIT:g} s)")
    return 0 if worst < LIMIT else 1


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tmp(suffix):
    import tempfile
    return os.path.join(tempfile.gettempdir(), f"autodiff_viz_render_bench.{suffix}")


if __name__ == "__main__":
    sys.exit(main())
