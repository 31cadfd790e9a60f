"""Command line: draw a function's computation graph without writing any code.

    python -m autodiff.viz examples/demo.py:rosenbrock --args "np.ones(4)" -o rosen.svg
    python -m autodiff.viz model.py:loss --args "np.zeros(3)" --mode hvp --v "np.ones(3)" -o h.png
    python -m autodiff.viz model.py:loss --args "np.zeros(3), X, y" --mode hvp --v "np.ones(3)" ...
    python -m autodiff.viz model.py:loss --args "np.zeros(3)" --mode jit-hvp --v "np.ones(3)" ...

--args and --v are Python expressions (NumPy is available as np, and the target file's own
names, e.g. data it defines), evaluated like the user's own code. With --mode hvp the first
argument is x and the others are data held fixed (scipy's args=). The jit-grad and jit-hvp modes
draw the program ad.jit replays for the gradient or the HVP (--recorded: every recorded step,
those the optimization drops or merges marked). The output format follows the
-o suffix (svg, png, pdf, dot).
"""
import argparse
import importlib.util
import inspect
import os
import sys

import numpy as np

from . import graph, grad_graph, hvp_graph, program_graph, DEFAULT_MAX_NODES
from .graph import DEFAULT_TIMEOUT


def load_function(spec):
    """FILE.py:FUNCTION (or module.path:FUNCTION) -> the function object (its module's names
    are its __globals__)."""
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


def _usage_error(parser, message):
    """One line on stderr and exit status 2 (argparse's own, without its usage block)."""
    parser.exit(2, f"{parser.prog}: error: {message}\n")


def _evaluate(parser, option, expr, namespace):
    """The value(s) of a command-line expression, or a one-line usage error saying why not."""
    try:
        value = eval(expr, {**namespace, "np": np, "numpy": np})  # noqa: S307 - the user's own
    except Exception as e:  # any error in the user's expression is a usage error
        _usage_error(parser, f"{option} {expr!r} could not be evaluated: {type(e).__name__}: {e}")
    return value if isinstance(value, tuple) else (value,)


def _check_call(parser, f, args, name):
    """A one-line usage error when f cannot take these arguments."""
    try:
        inspect.signature(f).bind(*args)
    except TypeError as e:
        _usage_error(parser, f"--args gives {len(args)} argument{'s' * (len(args) != 1)} but "
                     f"{name} cannot take them: {e}")
    except ValueError:  # no signature to check (a builtin): let the call say
        pass


def _program_graph(f, args, v, optimized, common):
    """The program ad.jit replays for f's gradient (v None) or its HVP along v (the first
    argument is x, the others data held fixed, as in --mode hvp)."""
    from .. import grad, hvp  # (the transforms: imported where a program is drawn)
    if v is None:
        return program_graph(grad(f), *args, optimized=optimized, **common)

    def hvp_of(x, v, *data):
        return hvp(lambda z: f(z, *data), x, v)
    hvp_of.__name__ = f"hvp({getattr(f, '__name__', 'f')})"
    try:  # the inputs named as f's parameters (x's own name, v, the data's)
        names = [p.name for p in inspect.signature(f).parameters.values()][:len(args)]
        hvp_of.__signature__ = inspect.Signature(
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY)
             for n in names[:1] + ["v"] + names[1:]])
    except (TypeError, ValueError):  # no signature, or a parameter named v: x, v, arg2, ...
        pass
    return program_graph(hvp_of, args[0], v, *args[1:], optimized=optimized, **common)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autodiff.viz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", help="FILE.py:FUNCTION or module:FUNCTION")
    parser.add_argument("--args", required=True, help="the arguments, a Python expression")
    parser.add_argument("-o", "--output", required=True, help="image path (.svg .png .pdf .dot)")
    parser.add_argument("--mode", choices=("forward", "grads", "grad", "hvp", "jit-grad",
                                           "jit-hvp"), default="forward",
                        help="forward graph, forward graph with gradients, the grad sweep, "
                             "the HVP sweep (needs --v), or the program ad.jit replays for the "
                             "gradient or the HVP (needs --v)")
    parser.add_argument("--v", help="the HVP direction, a Python expression (modes hvp, jit-hvp)")
    parser.add_argument("--recorded", action="store_true",
                        help="jit modes: every recorded step, not only those a replay runs")
    parser.add_argument("--max-nodes", type=int, default=DEFAULT_MAX_NODES)
    parser.add_argument("--no-values", action="store_true", help="leave values out of labels")
    parser.add_argument("--rankdir", default="TB", choices=("TB", "LR", "BT", "RL"))
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="stop Graphviz after this many seconds")
    opts = parser.parse_args(argv)

    f = load_function(opts.target)
    namespace = dict(getattr(f, "__globals__", {}))
    args = _evaluate(parser, "--args", opts.args, namespace)
    _check_call(parser, f, args, opts.target.rsplit(":", 1)[1])
    common = dict(values=not opts.no_values, max_nodes=opts.max_nodes, rankdir=opts.rankdir)
    name = opts.target.rsplit(":", 1)[1]
    if opts.recorded and not opts.mode.startswith("jit-"):
        _usage_error(parser, "--recorded applies to the jit-grad and jit-hvp modes")
    if opts.mode in ("hvp", "jit-hvp"):
        if opts.v is None:
            _usage_error(parser, f"--mode {opts.mode} needs --v")
        v = _evaluate(parser, "--v", opts.v, namespace)
        if len(v) != 1:
            _usage_error(parser, f"--v gives {len(v)} values; give one direction, like x")
    try:
        if opts.mode.startswith("jit-"):
            g = _program_graph(f, args, v[0] if opts.mode == "jit-hvp" else None,
                               not opts.recorded, common)
        elif opts.mode == "hvp":
            g = hvp_graph(f, args[0], v[0], args=args[1:], **common)
        elif opts.mode == "grad":
            g = grad_graph(f, *args, **common)
        else:
            g = graph(f, *args, grads=opts.mode == "grads", **common)
    except (TypeError, ValueError) as e:  # wrong shapes or kinds of --args / --v, in one line
        _usage_error(parser, f"{name} at --args {opts.args!r}: {type(e).__name__}: {e}")
    try:
        path = g.render(opts.output, timeout=opts.timeout)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {path} ({g.num_nodes} nodes{'; ' + '; '.join(g.notes) if g.notes else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
