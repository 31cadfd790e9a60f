"""The toolkit's use of `ad.jit`: a derivative that an entry point evaluates again and again
(hvp_fn's products, an operator's matvecs and matmats, an optimizer's gradients and Hessians,
a sparse Hessian's sweeps) is recorded once its unstaged calls have taken about what a
recording costs, and replayed from then on, unless the replays turn out no faster than the
unstaged calls (timed: see Repeated). A replay is bit for bit the unstaged call
(docs/jit.md; to round-off where the fusion shortcut applies), so staging never changes a
derivative beyond that, and the choice may be made by timing; it is
a speed shortcut, switched by `ad.shortcuts` ("staged_toolkit") or by an entry point's `jit=`
keyword."""
import time

import numpy as np

from .core.shortcuts import state
from .core.tracer import Tracer
from .pytree import flatten
from . import staging as _staging
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


PLAIN_CALLS = 2  # calls run (and timed) unstaged before the recording, at least
RECORD_AFTER = 0.003  # seconds of unstaged calls before the recording (about what it costs)
TIMED_REPLAYS = 3  # replays timed once the program is compiled (after the interpreted ones)


class Repeated:
    """fun through ad.jit where that pays. `plain` (default: fun itself) computes the same
    numbers another way, bit for bit, and runs (timed) until the plain calls have taken
    RECORD_AFTER seconds in all (PLAIN_CALLS calls at least): recording and compiling a program
    costs about that (1 to 5 ms measured), so a derivative needed a few times is never
    recorded, and one needed often pays at most about twice what the best choice would. The
    next call records, the following ones replay. `plain` also runs calls with arguments
    ad.jit does not take (Python numbers, complex arrays), and every call once staging is
    given up:
      * if the fastest of TIMED_REPLAYS replays (of the compiled program: staging.py)
        is not faster than the fastest plain call: a replay can lose where fun closes over
        large arrays (a recording holds copies of them) or where `plain` reuses work that a
        replay redoes. Several timings, as one can be off on a busy machine; the numbers are
        the same either way, only speed is at stake;
      * if ad.jit has given fun up (a float read by Python, guards that kept changing),
        checked at the 1st, 2nd, 4th, 8th, ... replay."""

    __slots__ = ("fun", "plain", "jitted", "calls", "replays", "given_up", "plain_time",
                 "plain_total", "replay_time")

    def __init__(self, fun, plain=None):
        self.fun, self.plain = fun, fun if plain is None else plain
        self.jitted, self.calls, self.replays, self.given_up = None, 0, -1, False
        self.plain_time = self.replay_time = float("inf")
        self.plain_total = 0.0

    def __call__(self, *args):
        if self.given_up or not _arrays_only(args):
            return self.plain(*args)
        if self.jitted is None:
            self.calls += 1
            if self.calls <= PLAIN_CALLS or self.plain_total < RECORD_AFTER:
                start = _clock()
                out = self.plain(*args)
                took = _clock() - start
                self.plain_time = min(self.plain_time, took)
                self.plain_total += took
                return out
            self.jitted = _jit(self.fun)
        self.replays += 1  # 0: the recording, then interpreted replays, one compiling
        replays = self.replays
        first = _staging.INTERPRETED_REPLAYS + 2  # the first replay of the compiled program
        if not first <= replays < first + TIMED_REPLAYS:
            out = self.jitted(*args)
        else:
            start = _clock()
            out = self.jitted(*args)
            self.replay_time = min(self.replay_time, _clock() - start)
            if replays == first + TIMED_REPLAYS - 1 and self.replay_time >= self.plain_time:
                self.given_up = True  # the replays do not pay here
        if replays & (replays - 1) == 0 and self.jitted.unstaged_reason(*args) is not None:
            self.given_up = True  # plain is at least as fast as fun run unstaged
        return out


def staged(fun, jit, where, plain=None):
    """fun staged once its calls have taken about a recording's cost (Repeated) if
    use_staging(jit, where), else plain (default: fun)."""
    if use_staging(jit, where):
        return Repeated(fun, plain)
    return fun if plain is None else plain
