"""NumPy's floating-point warnings (divide by zero in log(0), invalid value in 0/0, ...) raised
while a transform evaluates a function or its derivatives, reported at the user's line.

NumPy warns at the Python line that called the ufunc, which under a transform is a line of
autodiff (the tape evaluating a primitive, a derivative rule); the user could not tell which of
their operations, or which derivative, produced an inf or a nan. Inside `user_line()`, the
categories NumPy would warn about are routed to a handler that warns at the first frame outside
autodiff and NumPy, naming the primitive (and whether its value or its derivative). The user's
np.errstate/np.seterr choices (ignore, raise, call, print, log) are left as they are."""
import functools
import sys
import threading
import warnings

import numpy as np

# frames of autodiff (its rule callers are compiled with eval: known by their module, not their
# file), NumPy (np.linalg.norm's Python code) and scipy (eigsh calling the Hessian operator)
LIBRARIES = ("autodiff", "numpy", "scipy")


def _is_library(frame):
    return str(frame.f_globals.get("__name__", "")).split(".")[0] in LIBRARIES


def _primitive_name(frame):
    """The name of the primitive being evaluated or differentiated at `frame` or outside it."""
    while frame is not None and _is_library(frame):
        prim = frame.f_locals.get("prim")
        if prim is not None and hasattr(prim, "impl") and hasattr(prim, "name"):
            return prim.name
        frame = frame.f_back
    return None


def _reissue(kind, flag):
    """np.seterrcall handler: the warning NumPy would give, at the user's line."""
    caller = sys._getframe(1)  # the frame that called the ufunc
    frame, level = caller, 2
    while frame is not None and _is_library(frame):
        frame, level = frame.f_back, level + 1
    name = _primitive_name(caller)
    evaluating = caller.f_locals.get("prim") is not None
    what = ("an operation" if name is None else name if evaluating
            else f"the derivative of {name}")
    warnings.warn(f"{kind} encountered in {what}", RuntimeWarning,
                  stacklevel=level if frame is not None else 2)


@functools.lru_cache(maxsize=None)
def _routed(settings):
    """errstate keywords sending the 'warn' categories of `settings` to _reissue."""
    return {kind: "call" for kind, how in settings if how == "warn"}


_inside = threading.local()  # set while a user_line is active: nested ones cost nothing

try:  # NumPy >= 2 keeps the error state in one object per state: a cache key for _routing
    from numpy._core._ufunc_config import _extobj_contextvar
except ImportError:  # pragma: no cover - other NumPy versions: no cache
    _extobj_contextvar = None
_last = (None, None)  # (the error state object last seen, its routing), replaced whole


def _routing():
    """The errstate keywords routing the 'warn' categories to _reissue, or None if there is
    nothing to route or the user's own handler is in place. Read from np.geterr/geterrcall
    (~3 us), so remembered for the state last seen (one object read, ~0.1 us)."""
    global _last
    state, last = None if _extobj_contextvar is None else _extobj_contextvar.get(), _last
    if state is not None and state is last[0]:
        return last[1]
    current = np.geterrcall()
    routed = _routed(tuple(sorted(np.geterr().items())))
    if not routed or (current is not None and current is not _reissue):
        routed = None
    if state is not None:
        _last = (state, routed)  # holds the state: its id cannot be reused meanwhile
    return routed


class user_line:
    """Context manager (and decorator): floating-point warnings reported at the user's line."""

    def __enter__(self):
        if getattr(_inside, "active", False):
            self._state = False  # an enclosing user_line routes them already
            return self
        routed = _routing()
        if routed is None:
            self._state = None  # nothing to route, or the user's own handler is in place
            return self
        self._state = np.errstate(call=_reissue, **routed)
        self._state.__enter__()
        _inside.active = True
        return self

    def __exit__(self, *exc):
        if self._state:
            _inside.active = False
            self._state.__exit__(*exc)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with user_line():
                return fn(*args, **kwargs)
        return wrapper
