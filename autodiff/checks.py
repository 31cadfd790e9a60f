"""check_grads: derivatives against central finite differences, to any order, in both modes
(JAX's check_grads, PyTorch's gradcheck + gradgradcheck). Used by the test suite on every
primitive; useful to users who add their own."""
import numpy as np

from .numpy.functions import ravel
from .primitives.shape import concatenate
from .transforms import jvp, vjp
from .core.tracer import primal


def _fd_jvp(f, args, tangents, eps):
    plus = f(*[a + eps * t for a, t in zip(args, tangents)])
    minus = f(*[a - eps * t for a, t in zip(args, tangents)])
    return (np.asarray(primal(plus)) - np.asarray(primal(minus))) / (2 * eps)


def _close(what, got, want, rtol, atol):
    got, want = np.asarray(primal(got), float), np.asarray(primal(want), float)
    if got.shape != want.shape or not np.allclose(got, want, rtol=rtol, atol=atol):
        err = np.max(np.abs(got - want)) if got.shape == want.shape else "shape mismatch"
        raise AssertionError(f"{what}: got\n{got}\nexpected\n{want}\n(max abs error {err})")


def check_jvp(f, args, eps=1e-6, rtol=1e-6, atol=1e-7, rng=None):
    """The JVP of f at args, in a random direction, against central differences."""
    rng = rng or np.random.default_rng(0)
    tangents = [rng.standard_normal(np.shape(a)) for a in args]
    _, t_out = jvp(f, tuple(args), tuple(tangents))
    _close("JVP vs finite differences", t_out, _fd_jvp(f, args, tangents, eps), rtol, atol)


def check_vjp(f, args, eps=1e-6, rtol=1e-6, atol=1e-7, rng=None):
    """The VJP of f at args, against finite differences by the dot-product test
    <u, J v> == <J^T u, v> for random u and v."""
    rng = rng or np.random.default_rng(1)
    out, vjp_fn = vjp(f, *args)
    u = rng.standard_normal(np.shape(primal(out)))
    cts = vjp_fn(u)
    tangents = [rng.standard_normal(np.shape(a)) for a in args]
    lhs = np.sum(u * _fd_jvp(f, args, tangents, eps))
    rhs = sum(np.sum(np.asarray(primal(c)) * t) for c, t in zip(cts, tangents))
    _close("VJP dot-product test vs finite differences", rhs, lhs, rtol, atol)


def check_grads(f, args, order=2, modes=("fwd", "rev"), eps=1e-6, rtol=1e-6, atol=1e-7,
                seed=0):
    """Check the derivatives of f at args (a tuple of float arrays) up to `order`: each order's
    JVP ('fwd') and VJP ('rev') against finite differences of the order below, the order below
    being itself computed by autodiff in both modes (so fwd-over-rev, i.e. HVPs, is covered).
    Raises AssertionError with the numbers on a mismatch."""
    rng = np.random.default_rng(seed)
    args = tuple(np.asarray(a, dtype=float) for a in args)
    if "fwd" in modes:
        check_jvp(f, args, eps, rtol, atol, rng)
    if "rev" in modes:
        check_vjp(f, args, eps, rtol, atol, rng)
    if order > 1:
        if "fwd" in modes:
            v = [rng.standard_normal(np.shape(a)) for a in args]
            check_grads(lambda *a: jvp(f, a, tuple(v))[1], args, order - 1, modes, eps,
                        rtol, atol, seed + 1)
        if "rev" in modes:
            u = rng.standard_normal(np.shape(primal(f(*args))))
            check_grads(lambda *a: _stack(vjp(f, *a)[1](u)), args, order - 1, modes, eps,
                        rtol, atol, seed + 2)


def _stack(cts):
    """All cotangents of a VJP as one flat vector (a function output to check in turn)."""
    return concatenate([ravel(c) for c in cts]) if len(cts) > 1 else cts[0]
