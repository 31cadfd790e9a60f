"""The toolkit's use of `ad.jit`: a derivative that an entry point evaluates again and again
(hvp_fn's products, an operator's matvecs and matmats, an optimizer's gradients and Hessians,
a sparse Hessian's sweeps) is recorded at its second call and replayed from the third on.

Not at the first call: recording costs a few unstaged calls, and many uses need one product
(curvature along a direction, a dense eigendecomposition). A replay is bit for bit the unstaged
call (docs/jit.md), so staging never changes a number; it is a speed shortcut, switched by
`ad.shortcuts` ("staged_toolkit") or by an entry point's `jit=` keyword."""
import numpy as np

from .core.shortcuts import state
from .core.tracer import Tracer
from .pytree import flatten
from .staging import jit as _jit


def use_staging(jit, where):
    """Whether an entry point stages: its `jit=` keyword, or (None) the staged_toolkit switch."""
    if jit is None:
        return state.staged_toolkit
    if not isinstance(jit, (bool, np.bool_)):
        raise TypeError(f"{where}: jit must be True, False or None (follow "
                        f"ad.shortcuts 'staged_toolkit'), got {jit!r:.60}")
    return bool(jit)


def traced(tree):
    """Whether a pytree holds a tracer (an enclosing transform's value: never staged)."""
    return any(isinstance(leaf, Tracer) for leaf in flatten(tree)[0])


def _arrays_only(args):
    """ad.jit takes NumPy arrays of numbers (in pytrees): anything else runs unstaged."""
    if all(type(a) is np.ndarray and a.dtype.kind in "biuf" for a in args):
        return True
    leaves = flatten(args)[0]
    return all(type(a) is np.ndarray and a.dtype.kind in "biuf" for a in leaves)


class Repeated:
    """fun through ad.jit from its second call on (recorded then, replayed after). `plain`
    (default: fun itself) computes the same numbers another way, bit for bit: it runs the
    first call, calls with arguments ad.jit does not take (Python numbers, complex arrays),
    and every call once ad.jit has given fun up (a float read by Python, guards that kept
    changing), which is checked at the 2nd, 4th, 8th, ... call."""

    __slots__ = ("fun", "plain", "jitted", "calls", "given_up")

    def __init__(self, fun, plain=None):
        self.fun, self.plain = fun, fun if plain is None else plain
        self.jitted, self.calls, self.given_up = None, 0, False

    def __call__(self, *args):
        if self.given_up or not _arrays_only(args):
            return self.plain(*args)
        self.calls += 1
        if self.jitted is None:
            self.jitted = _jit(self.fun)
            return self.plain(*args)
        out = self.jitted(*args)
        if self.calls & (self.calls - 1) == 0 and \
                self.jitted.unstaged_reason(*args) is not None:
            self.given_up = True  # plain is at least as fast as fun run unstaged
        return out


def staged(fun, jit, where, plain=None):
    """fun staged from its second call on (Repeated) if use_staging(jit, where), else plain
    (default: fun)."""
    if use_staging(jit, where):
        return Repeated(fun, plain)
    return fun if plain is None else plain
