"""Command line: draw a function's computation graph without writing any code.

    python -m autodiff.viz examples/demo.py:rosenbrock --args "np.ones(4)" -o rosen.svg
    python -m autodiff.viz model.py:loss --args "np.zeros(3)" --mode hvp --v "np.ones(3)" -o h.png

--args and --v are Python expressions (NumPy is available as np), evaluated like the user's own
code; the output format follows the -o suffix (svg, png, pdf, dot).
"""
import argparse
import importlib.util
import os
import sys

import numpy as np

from . import graph, grad_graph, hvp_graph, DEFAULT_MAX_NODES


def load_function(spec):
    """FILE.py:FUNCTION (or module.path:FUNCTION) -> the function object."""
    if ":" not in spec:
        raise SystemExit(f"expected FILE.py:FUNCTION, got {spec!r}")
    where, name = spec.rsplit(":", 1)
    if where.endswith(".py") or os.path.exists(where):
        if not os.path.exists(where):
            raise SystemExit(f"no such file: {where}")
        sys.path.insert(0, os.path.dirname(os.path.abspath(where)))
        mod_spec = importlib.util.spec_from_file_location("_autodiff_viz_target", where)
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    try:
        return getattr(module, name)
    except AttributeError:
        raise SystemExit(f"{where} has no function {name!r}") from None


def _evaluate(expr):
    value = eval(expr, {"np": np, "numpy": np})  # noqa: S307 - the user's own expression
    return value if isinstance(value, tuple) else (value,)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autodiff.viz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", help="FILE.py:FUNCTION or module:FUNCTION")
    parser.add_argument("--args", required=True, help="the arguments, a Python expression")
    parser.add_argument("-o", "--output", required=True, help="image path (.svg .png .pdf .dot)")
    parser.add_argument("--mode", choices=("forward", "grads", "grad", "hvp"), default="forward",
                        help="forward graph, forward graph with gradients, the grad sweep, "
                             "or the HVP sweep (needs --v)")
    parser.add_argument("--v", help="the HVP direction, a Python expression (mode hvp)")
    parser.add_argument("--max-nodes", type=int, default=DEFAULT_MAX_NODES)
    parser.add_argument("--no-values", action="store_true", help="leave values out of labels")
    parser.add_argument("--rankdir", default="TB", choices=("TB", "LR", "BT", "RL"))
    opts = parser.parse_args(argv)

    f = load_function(opts.target)
    args = _evaluate(opts.args)
    common = dict(values=not opts.no_values, max_nodes=opts.max_nodes, rankdir=opts.rankdir)
    if opts.mode == "hvp":
        if opts.v is None:
            parser.error("--mode hvp needs --v")
        g = hvp_graph(f, args[0], _evaluate(opts.v)[0], **common)
    elif opts.mode == "grad":
        g = grad_graph(f, *args, **common)
    else:
        g = graph(f, *args, grads=opts.mode == "grads", **common)
    try:
        path = g.render(opts.output)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {path} ({g.num_nodes} nodes{'; ' + '; '.join(g.notes) if g.notes else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
