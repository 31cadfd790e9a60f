"""A random program as data: numbered lines of NumPy source over values of known shapes.

A program is rendered to Python source (`def f(a, b): t0 = ...; return t3`) and exec'd with any
NumPy-like module bound to `np`: plain NumPy on autodiff's traced values, `autodiff.numpy`, or
the oracle (autograd). So every failure prints a pasteable reproduction, and what runs is
exactly what a user would have written. Constants are plain NumPy arrays, bound to `onp`.
SciPy's special functions are bound to `sc` (the ufuncs: scipy.special itself in the plain NumPy
style, where they dispatch on traced values) and `asc` (the functions scipy writes in Python,
logsumexp, softmax...: autodiff.scipy.special, as users must call them).
"""
import re
from dataclasses import dataclass, field

import numpy as onp


@dataclass(frozen=True)
class Arg:
    """An argument of f: an array of `shape`, or a Python float (`is_float`, shape ())."""
    name: str
    shape: tuple
    is_float: bool = False


@dataclass(frozen=True)
class Line:
    """`name = expr`, of output `shape`. `tag` names the operation (KNOWN_FAILURES uses it).
    `guards` are (what, expression) pairs evaluated with plain NumPy on the line's inputs: each
    is a distance to a kink or singularity (ties of max/sort, abs at 0, ill-conditioning...)
    that must stay large, or the derivative is not well defined and the example is skipped."""
    name: str
    expr: str
    shape: tuple
    tag: str
    guards: tuple = ()


@dataclass
class Program:
    args: list
    lines: list = field(default_factory=list)
    consts: dict = field(default_factory=dict)   # name -> plain ndarray
    head: str = "np.sum(out)"                    # scalar of `out` for grad/hvp/hessian

    @property
    def out(self):
        return self.lines[-1].name if self.lines else self.args[0].name

    @property
    def out_shape(self):
        return self.lines[-1].shape if self.lines else self.args[0].shape

    def tags(self):
        return {line.tag for line in self.lines}

    def source(self):
        """The program as Python source: f returns an array, f_scalar a scalar of it."""
        names = ", ".join(a.name for a in self.args)
        body = [f"    {line.name} = {line.expr}" for line in self.lines]
        return "\n".join(
            [f"def f({names}):"] + body + [f"    return {self.out}", "",
                                           f"def f_scalar({names}):",
                                           f"    out = f({names})",
                                           f"    return {self.head}"])

    def compile(self, modules):
        """(f, f_scalar) with the names of `modules` bound: `np`, `ad` (for derivatives inside
        the program), `sc` and `asc` (see the module docstring)."""
        namespace = {**modules, "onp": onp, **self.consts}
        exec(compile(self.source(), "<differential program>", "exec"), namespace)
        return namespace["f"], namespace["f_scalar"]

    def intermediates(self, inputs, modules):
        """Every line's value on plain arrays (for guards and magnitudes)."""
        env = {**modules, "onp": onp, **self.consts}
        env.update({a.name: x for a, x in zip(self.args, inputs)})
        values = {}
        for line in self.lines:
            values[line.name] = env[line.name] = eval(line.expr, env)
        return env, values

    def constants_source(self):
        with onp.printoptions(precision=17, threshold=10**6):
            return "\n".join(f"{k} = onp.{v!r}" for k, v in self.consts.items())


def input_source(args, inputs):
    """Assignments that recreate the inputs exactly (repr with full precision)."""
    with onp.printoptions(precision=17, threshold=10**6):
        return "\n".join(f"{a.name} = {x!r}" if a.is_float else f"{a.name} = onp.{x!r}"
                         for a, x in zip(args, inputs))


def repro(program, inputs, style, call, got, want, setup=""):
    """A pasteable reproduction of one disagreement."""
    imports = [{"numpy": "import numpy as np",
                "autodiff.numpy": "import autodiff.numpy as np"}[style]]
    source = program.source()
    if re.search(r"\bsc\.", source):
        imports.append({"numpy": "import scipy.special as sc",
                        "autodiff.numpy": "import autodiff.scipy.special as sc"}[style])
    if re.search(r"\basc\.", source):
        imports.append("import autodiff.scipy.special as asc")
    with onp.printoptions(precision=17, threshold=10**6):
        return "\n".join([
            "", "# ---- reproduction ----", *imports, "import numpy as onp",
            "import autodiff as ad", program.constants_source(), "", program.source(), "",
            input_source(program.args, inputs), setup, f"print({call})", "",
            f"# autodiff gave:\n{got!r}", f"# expected (oracle):\n{want!r}", ""])
