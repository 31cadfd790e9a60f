"""check_grads: derivatives against central finite differences, to any order, in both modes
(JAX's check_grads, PyTorch's gradcheck + gradgradcheck), and batched tangents against single
ones (a JVP rule that only handles one tangent is right in every unbatched test but breaks
`jvp(batched=True)`, `hvp(batched=True)`, `hessian` and `sparse_hessian`). Used by the test
suite on every primitive; useful to users who add their own."""
from typing import Optional, Sequence, Tuple

import numpy as np

from .numpy.functions import ravel
from .primitives.shape import concatenate, reshape
from .transforms import jvp, vjp, hvp, hessian
from .core.tracer import Trace, Tracer, primal
from .pytree import flatten
from .typing import ArrayLike, Fun

BATCH_HINT = ("a batched JVP rule mishandles a batch of tangents (t.shape == batch + x.shape, "
              "as in jvp/hvp(batched=True), hessian and sparse_hessian): a rule declared "
              "batched_jvp=\"same\" must act on the trailing, non-batch axes only (negative "
              "axes), and rules given as batched_jvp must shift axes by their `nb`. Without "
              "batched_jvp, batches go through the one-tangent rules one tangent at a time")
NUM_BATCHED = 3  # directions in a batch: k >= 2, and unlike small array sizes
MAX_HESSIAN_SIZE = 200  # inputs up to which check_grads also forms the Hessian


def _fd_jvp(f, args, tangents, eps):
    plus = f(*[a + eps * t for a, t in zip(args, tangents)])
    minus = f(*[a - eps * t for a, t in zip(args, tangents)])
    return (np.asarray(primal(plus)) - np.asarray(primal(minus))) / (2 * eps)


def _as_numbers(x):
    """A result as a float array, or a complex one if it is complex (never a cast dropping the
    imaginary part)."""
    x = np.asarray(primal(x))
    return x.astype(complex if np.iscomplexobj(x) else float)


def _draw_like(rng, out):
    """A random array of out's shape, complex (both parts drawn) if out is complex."""
    shape = np.shape(primal(out))
    if np.iscomplexobj(primal(out)):
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return rng.standard_normal(shape)


def _close(what, got, want, rtol, atol, hint=None):
    got, want = _as_numbers(got), _as_numbers(want)
    if got.shape != want.shape or not np.allclose(got, want, rtol=rtol, atol=atol):
        err = np.max(np.abs(got - want)) if got.shape == want.shape else \
            f"shape mismatch: {got.shape} vs {want.shape}"
        why = f"\n{hint}" if hint else ""
        raise AssertionError(f"{what}: got\n{got}\nexpected\n{want}\n(max abs error {err})"
                             f"{why}")


def check_jvp(f: Fun, args: Sequence[ArrayLike], eps: float = 1e-6, rtol: float = 1e-6,
              atol: float = 1e-7, rng: Optional[np.random.Generator] = None) -> None:
    """The JVP of f at args, in a random direction, against central differences."""
    rng = rng or np.random.default_rng(0)
    tangents = [rng.standard_normal(np.shape(a)) for a in args]
    _, t_out = jvp(f, tuple(args), tuple(tangents))
    _close("JVP vs finite differences", t_out, _fd_jvp(f, args, tangents, eps), rtol, atol)


def check_batched_jvp(f: Fun, args: Sequence[ArrayLike], eps: float = 1e-6, rtol: float = 1e-6,
                      atol: float = 1e-7, rng: Optional[np.random.Generator] = None,
                      k: int = NUM_BATCHED) -> None:
    """k random directions pushed through one jvp(batched=True): each slice of the result
    against the single-tangent JVP in that direction and against central differences."""
    rng = rng or np.random.default_rng(3)
    try:
        _compare_batched(f, args, rng, k, rtol, atol, eps)
    except AssertionError as e:
        culprit = _culprit(f, args, k, rtol, atol)
        if culprit is None:
            raise
        raise AssertionError(f"{culprit}\n{e}") from e


def _compare_batched(f, args, rng, k, rtol, atol, eps=None):
    batch = [rng.standard_normal((k,) + np.shape(a)) for a in args]
    try:
        _, t_out = jvp(f, tuple(args), tuple(batch), batched=True)
    except Exception as e:
        raise AssertionError(f"jvp(batched=True) with {k} tangents failed ({type(e).__name__}: "
                             f"{e}), while single tangents work:\n{BATCH_HINT}") from e
    t_out = _as_numbers(t_out)
    out_shape = np.shape(primal(f(*args)))
    if t_out.shape != (k,) + out_shape:
        raise AssertionError(f"jvp(batched=True) with {k} tangents gave output tangents of "
                             f"shape {t_out.shape}, expected {(k,) + out_shape}:\n{BATCH_HINT}")
    for i in range(k):
        one = [t[i] for t in batch]
        _close(f"batched JVP, direction {i} of {k}, vs the single-tangent JVP", t_out[i],
               jvp(f, tuple(args), tuple(one))[1], rtol, atol, BATCH_HINT)
        if eps is not None:
            _close(f"batched JVP, direction {i} of {k}, vs finite differences", t_out[i],
                   _fd_jvp(f, args, one, eps), rtol, atol, BATCH_HINT)


class _Recorder(Trace):
    """Runs f on plain values and lists each primitive applied to values that depend on the
    inputs, with its (primal) arguments: to test the JVP rules one primitive at a time."""

    __slots__ = ("calls",)

    def __init__(self):
        super().__init__()
        self.calls = []

    def process(self, prim, args, params):
        values = [a.value if isinstance(a, _Recorded) and a._trace is self else a for a in args]
        traced = [i for i, a in enumerate(args) if isinstance(a, _Recorded) and a._trace is self]
        self.calls.append((prim, values, params, traced))
        return _Recorded(self, prim.impl(*values, **params))


class _Recorded(Tracer):
    __slots__ = ()

    def __init__(self, trace, value):
        self._trace, self.value = trace, value


def _culprit(f, args, k, rtol, atol):
    """The first primitive f applies whose JVP, alone, differs between a batch of tangents and
    single ones, named with its argument; None if none is found (or f cannot be replayed)."""
    try:
        rec = _Recorder()
        f(*[_Recorded(rec, a) for a in args])
    except Exception:
        return None
    seen = set()
    for prim, values, params, traced in rec.calls:
        for i in traced:
            x = values[i]
            key = (prim.name, i, np.shape(x), tuple(sorted(map(str, params))))
            if key in seen or np.asarray(x).dtype.kind != "f":
                continue
            seen.add(key)

            def alone(a, prim=prim, values=values, params=params, i=i):
                return prim(*values[:i], a, *values[i + 1:], **params)
            try:
                _compare_batched(alone, (np.asarray(x),), np.random.default_rng(5), k, rtol,
                                 atol)
            except AssertionError:
                return (f"primitive {prim.name!r}, argument {i} (shape {np.shape(x)}): its JVP "
                        f"rule mishandles a batch of tangents")
            except Exception:
                continue
    return None


def check_vjp(f: Fun, args: Sequence[ArrayLike], eps: float = 1e-6, rtol: float = 1e-6,
              atol: float = 1e-7, rng: Optional[np.random.Generator] = None) -> None:
    """The VJP of f at args, against finite differences by the dot-product test
    <u, J v> == <J^T u, v> for random u and v (for a complex output, u is complex and the
    pairing is Re(u J v), the transpose convention of docs/complex.md)."""
    rng = rng or np.random.default_rng(1)
    out, vjp_fn = vjp(f, *args)
    u = _draw_like(rng, out)
    cts = vjp_fn(u)
    tangents = [rng.standard_normal(np.shape(a)) for a in args]
    lhs = np.real(np.sum(u * _fd_jvp(f, args, tangents, eps)))
    rhs = sum(np.sum(np.asarray(primal(c)) * t) for c, t in zip(cts, tangents))
    _close("VJP dot-product test vs finite differences", rhs, lhs, rtol, atol)


def check_hessian(f: Fun, args: Sequence[ArrayLike], rtol: float = 1e-6, atol: float = 1e-7,
                  rng: Optional[np.random.Generator] = None, k: int = NUM_BATCHED) -> None:
    """Scalar f: hvp(batched=True) on k random directions against k single HVPs, and (up to
    MAX_HESSIAN_SIZE inputs) hessian times those directions against the same HVPs -- the
    batched second-order paths against the one-direction path that check_grads verifies."""
    rng = rng or np.random.default_rng(4)
    flat, z = _flat(f, args)
    V = rng.standard_normal((k, z.size))
    single = np.stack([np.asarray(primal(hvp(flat, z, v)), float) for v in V])
    try:
        batched = np.asarray(primal(hvp(flat, z, V, batched=True)), float)
    except Exception as e:
        raise AssertionError(f"hvp(batched=True) with {k} directions failed ({type(e).__name__}: "
                             f"{e}), while single directions work:\n{BATCH_HINT}") from e
    _close(f"hvp(batched=True) with {k} directions vs {k} single HVPs", batched, single,
           rtol, atol, BATCH_HINT)
    if z.size <= MAX_HESSIAN_SIZE:
        H = np.asarray(primal(hessian(flat)(z)), float)
        _close(f"hessian @ v vs hvp(v) for {k} random v", (H @ V.T).T, single, rtol, atol,
               BATCH_HINT)


def check_grads(f: Fun, args: Sequence[ArrayLike], order: int = 2,
                modes: Sequence[str] = ("fwd", "rev"), eps: float = 1e-6, rtol: float = 1e-6,
                atol: float = 1e-7, seed: int = 0) -> None:
    """Check the derivatives of f at args (a tuple of float or complex arrays; a complex one is
    checked in its real and imaginary parts) up to `order`: each order's
    JVP ('fwd') and VJP ('rev') against finite differences of the order below, the order below
    being itself computed by autodiff in both modes (so fwd-over-rev, i.e. HVPs, is covered).
    With 'fwd', every order's JVP is also run on a batch of tangents (jvp(batched=True), as
    hessian and sparse_hessian do) and each slice compared with the single-tangent JVP; for a
    scalar f and order >= 2 with both modes, batched HVPs and the Hessian are compared with
    single HVPs. f may return a pytree (its leaves are checked as one ravelled vector). Raises
    AssertionError with the numbers on a mismatch."""
    f = _one_output(f)
    arrays = tuple(np.asarray(a) for a in args)
    if any(np.iscomplexobj(a) for a in arrays):  # as a function of real and imaginary parts
        of_parts, parts = _real_parts(f, arrays)
        check_grads(of_parts, parts, order, modes, eps, rtol, atol, seed)
        return
    rng = np.random.default_rng(seed)
    args = tuple(a.astype(float) for a in arrays)
    if "fwd" in modes:
        check_jvp(f, args, eps, rtol, atol, rng)
        check_batched_jvp(f, args, eps, rtol, atol, np.random.default_rng(seed + 3))
    if "rev" in modes:
        check_vjp(f, args, eps, rtol, atol, rng)
    if order > 1:
        if "fwd" in modes:
            v = [rng.standard_normal(np.shape(a)) for a in args]
            check_grads(lambda *a: jvp(f, a, tuple(v))[1], args, order - 1, modes, eps,
                        rtol, atol, seed + 1)
        if "rev" in modes:
            u = _draw_like(rng, f(*args))
            check_grads(lambda *a: _stack(vjp(f, *a)[1](u)), args, order - 1, modes, eps,
                        rtol, atol, seed + 2)
        value = primal(f(*args))
        if "fwd" in modes and "rev" in modes and np.ndim(value) == 0 and \
                not np.iscomplexobj(value):
            check_hessian(f, args, rtol, atol, np.random.default_rng(seed + 4))


def _one_output(f: Fun) -> Fun:
    """f with a pytree output (tuple, list, dict) ravelled into one vector."""
    def flat(*args):
        out = f(*args)
        if not isinstance(out, (tuple, list, dict)):
            return out
        leaves = [x for x in flatten(out)[0]]
        if not leaves:
            raise ValueError("check_grads: f returned a pytree without arrays")
        return concatenate([ravel(x) for x in leaves])
    return flat


def _real_parts(f: Fun, args: Tuple[np.ndarray, ...]) -> Tuple[Fun, Tuple[np.ndarray, ...]]:
    """f of arrays some of which are complex -> (f of real arrays, those arrays): each complex
    argument z becomes two, x and y, with z = x + iy (its real and imaginary directions)."""
    split = [np.iscomplexobj(a) for a in args]
    reals = []
    for a, c in zip(args, split):
        reals += [a.real.astype(float), a.imag.astype(float)] if c else [a.astype(float)]

    def of_parts(*parts):
        it, whole = iter(parts), []
        for c in split:
            whole.append(next(it) + 1j * next(it) if c else next(it))
        return f(*whole)
    return of_parts, tuple(reals)


def _flat(f, args):
    """f of several arrays -> (function of one flat vector, that vector)."""
    shapes = [np.shape(a) for a in args]
    ends = np.cumsum([0] + [int(np.prod(s)) for s in shapes])

    def flat(z):
        return f(*[reshape(z[a:b], s) for a, b, s in zip(ends[:-1], ends[1:], shapes)])
    return flat, np.concatenate([np.ravel(a) for a in args])


def _stack(cts):
    """All cotangents of a VJP as one flat vector (a function output to check in turn)."""
    return concatenate([ravel(c) for c in cts]) if len(cts) > 1 else cts[0]
