"""The toolkit's use of `ad.jit`: a derivative that an entry point evaluates again and again
(hvp_fn's products, an operator's matvecs and matmats, an optimizer's gradients and Hessians,
a sparse Hessian's sweeps) is recorded at its third call and replayed from then on, unless the
replays turn out no faster than the unstaged calls (timed: see Repeated).

Not at the first call: recording costs a few unstaged calls, and many uses need one or two
products (curvature along a direction, a dense eigendecomposition). A replay is bit for bit
the unstaged call (docs/jit.md), so staging never changes a number, and the choice may be made
by timing; it is a speed shortcut, switched by `ad.shortcuts` ("staged_toolkit") or by an entry
point's `jit=` keyword."""
import time

import numpy as np

from .core.shortcuts import state
from .core.tracer import Tracer
from .pytree import flatten
from .staging import jit as _jit

_clock = time.perf_counter


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


PLAIN_CALLS = 2  # calls run (and timed) unstaged before the recording
TIMED_REPLAYS = 3  # replays timed after the first one (which compiles the program)


class Repeated:
    """fun through ad.jit where that pays: the first PLAIN_CALLS calls run `plain` (timed), the
    next records, the following replay. `plain` (default: fun itself) computes the same numbers
    another way, bit for bit; it also runs calls with arguments ad.jit does not take (Python
    numbers, complex arrays), and every call once staging is given up:
      * if the fastest of TIMED_REPLAYS replays (after the first, which compiles the program)
        is not faster than the fastest plain call: a replay can lose where fun closes over
        large arrays (a recording holds copies of them) or where `plain` reuses work that a
        replay redoes. Several timings, as one can be off on a busy machine; the numbers are
        the same either way, only speed is at stake;
      * if ad.jit has given fun up (a float read by Python, guards that kept changing),
        checked at the 4th, 8th, 16th, ... call."""

    __slots__ = ("fun", "plain", "jitted", "calls", "given_up", "plain_time", "replay_time")

    def __init__(self, fun, plain=None):
        self.fun, self.plain = fun, fun if plain is None else plain
        self.jitted, self.calls, self.given_up = None, 0, False
        self.plain_time = self.replay_time = float("inf")

    def __call__(self, *args):
        if self.given_up or not _arrays_only(args):
            return self.plain(*args)
        self.calls += 1
        calls = self.calls
        if calls <= PLAIN_CALLS:
            start = _clock()
            out = self.plain(*args)
            self.plain_time = min(self.plain_time, _clock() - start)
            return out
        if self.jitted is None:
            self.jitted = _jit(self.fun)
        replay = calls - PLAIN_CALLS - 1  # 0: the recording, 1: the first replay (compiling)
        if not 2 <= replay <= TIMED_REPLAYS + 1:
            out = self.jitted(*args)
        else:
            start = _clock()
            out = self.jitted(*args)
            self.replay_time = min(self.replay_time, _clock() - start)
            if replay == TIMED_REPLAYS + 1 and self.replay_time >= self.plain_time:
                self.given_up = True  # the replays do not pay here
        if calls & (calls - 1) == 0 and self.jitted.unstaged_reason(*args) is not None:
            self.given_up = True  # plain is at least as fast as fun run unstaged
        return out


def staged(fun, jit, where, plain=None):
    """fun staged from its second call on (Repeated) if use_staging(jit, where), else plain
    (default: fun)."""
    if use_staging(jit, where):
        return Repeated(fun, plain)
    return fun if plain is None else plain
