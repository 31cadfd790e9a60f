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
    """fun run as it is at its first call, then through ad.jit: recorded at the second call
    (per input structure), replayed after. Arguments that ad.jit does not take (Python numbers,
    complex arrays) run fun unstaged."""

    __slots__ = ("fun", "jitted")

    def __init__(self, fun):
        self.fun, self.jitted = fun, None

    def __call__(self, *args):
        if not _arrays_only(args):
            return self.fun(*args)
        if self.jitted is None:
            self.jitted = _jit(self.fun)
            return self.fun(*args)
        return self.jitted(*args)


def staged(fun, jit, where):
    """fun, staged from its second call on if use_staging(jit, where)."""
    return Repeated(fun) if use_staging(jit, where) else fun
