"""Scaled partials (declaration.py): square's partial 2 x is kept as its factors on large arrays,
so that a compact cotangent g is scaled instead of x, (2 g) x, with no full-size temporary, and
a full one multiplies into 2 x in place. The same bits as the plain order g (2 x), with the
shortcuts on or off and under ad.jit."""
import tracemalloc

import numpy as np
import pytest

import autodiff as ad
from autodiff.primitives import elementwise as E
from autodiff.primitives import declaration as D

N = 100_000  # above D._SCALED_MIN_SIZE: 0.8 MB per array


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def identical(got, want):
    return got.dtype == want.dtype and got.shape == want.shape and \
        np.array_equal(got, want, equal_nan=True) and \
        np.array_equal(np.signbit(got), np.signbit(want))


def peak_bytes(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("prim, values", [(E.square, lambda x: (x,)),
                                          (E.power, lambda x: (x, 2))],
                         ids=["square", "power"])
@pytest.mark.parametrize("compact", [True, False], ids=["compact", "full"])
def test_the_vjp_of_x_squared_makes_only_its_result(prim, values, compact):
    x = np.random.default_rng(0).standard_normal(N)
    g, out = np.full(1 if compact else N, 0.75), x * x
    c, peak = peak_bytes(lambda: prim.vjp(0, g, out, values(x), {}))
    assert identical(c, g * (2.0 * x))
    assert peak < 1.25 * x.nbytes, peak / x.nbytes  # was 2: 2 x, then g times it


def awkward_points():
    """Values where reassociating a product could change its bits: subnormal products, and
    cotangents so large that 2 g overflows."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(N)
    yield "ordinary", x, 1.0
    yield "subnormal products", x * 1e-160, 3e-150  # 2 g x around 1e-310
    yield "2 g overflows", x * 1e-3, 1.2e308  # (2 g) x would be inf; 2.4e305 x is not


@pytest.mark.parametrize("name, x, scale", list(awkward_points()),
                         ids=[p[0] for p in awkward_points()])
def test_compact_cotangents_give_the_bits_of_the_plain_order(name, x, scale):
    def f(x):
        return np.sum(scale * x ** 2) + np.sum(np.square(x[1:]) * np.cos(x[1:]))  # compact; full
    with np.errstate(all="ignore"):
        with ad.shortcuts.disabled():
            want = ad.grad(f)(x)
        with ad.shortcuts.disabled("compact_cotangents"):
            assert identical(ad.grad(f)(x), want)
        got = ad.grad(f)(x)
    assert identical(got, want)
    assert np.all(np.isfinite(got))
    if name == "subnormal products":
        assert np.any((got != 0) & (np.abs(got) < np.finfo(float).tiny))  # (they were tested)


def test_hvp_and_hessian_vector_products_are_unchanged_bit_for_bit():
    rng = np.random.default_rng(2)
    x, v = rng.standard_normal(N), rng.standard_normal(N)
    with ad.shortcuts.disabled("compact_cotangents"):
        want = ad.hvp(rosenbrock, x, v)
    assert identical(ad.hvp(rosenbrock, x, v), want)


def test_replays_give_the_unstaged_bits_and_guard_the_overflow_test():
    def f(x, scale):
        return np.sum(scale * x ** 2) + rosenbrock(x)
    grad = ad.grad(f)
    jitted = ad.jit(grad)
    rng = np.random.default_rng(3)
    with ad.shortcuts.disabled("fusion"):  # (fusion is exact to round-off only: docs/jit.md)
        for scale in map(np.asarray, (1.0, 2.0, 1.2e308, 1.0, 1.2e308)):
            x = rng.standard_normal(N) * (1e-3 if scale > 1e300 else 1.0)
            with np.errstate(all="ignore"):
                want = grad(x, scale)
                got = jitted(x, scale)
            assert identical(got, want), scale
            assert np.all(np.isfinite(got))
        assert jitted.unstaged_reason(x, scale) is None, jitted.unstaged_reason(x, scale)
        assert len(jitted.programs(x, scale)) == 2  # one per outcome of the overflow test


def test_small_arrays_keep_the_plain_partial():
    x = np.ones(D._SCALED_MIN_SIZE - 1)
    assert type(E.square.vjp(0, np.ones(1), x, (x,), {})) is np.ndarray
    assert isinstance(D.scaled(2.0, x), np.ndarray)
    assert isinstance(D.scaled(2.0, np.ones(D._SCALED_MIN_SIZE)), D.Scaled)


def test_a_full_cotangent_keeps_the_layout_of_the_plain_product(monkeypatch):
    """A C-ordered g times a transposed (F-ordered) x: g * (2 x) is C-ordered, and the sum that
    pulls it back through a broadcast adds in that order. Writing the product into 2 x kept
    x's layout and changed the gradient's last bits (5.7e-14 here)."""
    n = 128  # n * n above D._SCALED_MIN_SIZE
    rng = np.random.default_rng(4)
    C, y = rng.standard_normal((n, n)), rng.standard_normal(n)

    def f(y):
        return np.sum(C * (y[None, :] + np.zeros((n, n))).T ** 2)
    got = ad.grad(f)(y)
    x = np.ascontiguousarray(rng.standard_normal((n, n))).T
    c = E.square.vjp(0, C, x * x, (x,), {})
    monkeypatch.setattr(D, "_times_scaled", lambda g, s, reassociate=True: g * (s.c * s.a))
    assert identical(got, ad.grad(f)(y))  # the plain order
    assert identical(c, C * (2.0 * x)) and c.flags.c_contiguous
