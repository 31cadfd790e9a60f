"""Switches for the speed shortcuts, so that each can be checked against the plain computation.

A shortcut saves time or memory and must never change a derivative. Each one here can be turned
off, and the differential test suite (tests/differential) checks that random programs give the
same derivatives with every shortcut on, off, and each off alone. A shortcut that cannot be
checked that way does not belong in autodiff.

    import autodiff as ad
    with ad.shortcuts.disabled():                 # plain mode: every shortcut off
        ad.hessian(f)(x)
    with ad.shortcuts.disabled("deferred_tangents"):
        ad.hvp(f, x, v)

`AUTODIFF_PLAIN=1` in the environment starts with every shortcut off. The switches are global
(not per thread): flip them between computations, not during one.
"""
import contextlib
import os

# name: what it does (see docs/performance.md)
DESCRIPTIONS = {
    "compact_cotangents": "a sum's cotangent stays uniform (unit axes) through elementwise rules "
                          "instead of being broadcast to full size",
    "residual_pruning": "the tape keeps only the values its rules read (the rest as shapes)",
    "deferred_tangents": "forward-over-reverse computes a recorded value's tangent only when "
                         "a rule reads it",
    "inplace_accumulation": "the reverse sweep adds cotangents into buffers it owns in place",
    "batched_rules": "a batch of tangents goes through a primitive's batched JVP rule at once "
                     "instead of one tangent at a time",
    "zero_slices": "a slice of a batch of identity tangents that is all zero becomes a "
                   "symbolic zero",
    "basis_products": "jacfwd and hessian know their batches of tangents are rows of the "
                      "identity: a matrix product with one gathers or places the other "
                      "operand's columns instead of multiplying (kept through reshapes and "
                      "slices)",
    "fusion": "ad.jit compiles chains of elementwise arithmetic on large arrays into one "
              "pass (numba; results guaranteed to round-off, not bit for bit: docs/jit.md)",
    "staged_toolkit": "the toolkit (hvp_fn, hessian_operator, minimize, sparse_hessian; the "
                      "curvature estimators with jit=None) replays a derivative it evaluates "
                      "again and again with ad.jit instead of tracing it at every call",
}
NAMES = tuple(DESCRIPTIONS)


class _Switches:
    """The current state, read as attributes on hot paths (cheaper than a dict lookup)."""

    __slots__ = NAMES

    def __init__(self, on):
        for name in NAMES:
            setattr(self, name, on)


state = _Switches(os.environ.get("AUTODIFF_PLAIN", "") in ("", "0"))


def _check(names):
    for name in names:
        if name not in DESCRIPTIONS:
            raise ValueError(f"unknown shortcut {name!r}; the shortcuts are {', '.join(NAMES)}")
    return names or NAMES


def enabled(name):
    """Whether the shortcut `name` is on."""
    return getattr(state, _check((name,))[0])


def set_enabled(name, on):
    """Turn the shortcut `name` on or off (for good; see `disabled` for a block)."""
    setattr(state, _check((name,))[0], bool(on))


@contextlib.contextmanager
def disabled(*names):
    """Turn the named shortcuts (all of them if none is named) off inside a `with` block."""
    names = _check(names)
    before = {name: getattr(state, name) for name in names}
    try:
        for name in names:
            setattr(state, name, False)
        yield
    finally:
        for name, on in before.items():
            setattr(state, name, on)
