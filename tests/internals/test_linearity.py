"""The registry's `linear` attribute, checked: a primitive declared linear (in its traced
arguments, jointly) must satisfy f(a x) = a f(x) for real a and f(x + y) = f(x) + f(y), on the
inputs its samples actually give it (recorded while the samples run). The docs' operator table
shows the attribute, so a wrong one would be a wrong statement there (and a trap for any rule
that relies on it)."""
import zlib

import numpy as np
import pytest

import autodiff as ad
from autodiff.core.primitive import REGISTRY
from autodiff.primitives.declaration import declare

LINEAR = [p for p in REGISTRY.values() if p.builtin and p.linear]


def _inputs(prim):
    """The (arguments, parameters) the primitive's impl is called with while its samples run
    (traced, so that wrappers which skip the primitive on plain arrays still reach it)."""
    rng = np.random.default_rng(zlib.crc32(prim.name.encode()))
    calls, impl = [], prim.impl

    def recording(*args, **params):
        calls.append((args, params))
        return impl(*args, **params)
    prim.impl = recording
    try:
        for sample in prim.samples:
            fn, arrays = sample.draw(prim, rng)
            ad.jvp(fn, arrays, tuple(np.ones_like(a) for a in arrays))
    finally:
        prim.impl = impl
    return calls


def _like(x, rng):
    """A random array of x's shape and kind (complex if x is)."""
    y = rng.standard_normal(np.shape(x))
    if np.iscomplexobj(x):
        y = y + 1j * rng.standard_normal(np.shape(x))
    return y.astype(np.result_type(x))


def linearity_failure(prim, args, params, rng):
    """None if prim's impl is linear at these inputs, else what fails."""
    f = lambda *xs: np.asarray(prim.impl(*xs, **params))  # noqa: E731
    fx = f(*args)
    scale = 1.0 + np.max(np.abs(fx), initial=0.0)
    a = -1.7
    if not np.allclose(f(*[a * x for x in args]), a * fx, rtol=1e-10, atol=1e-12 * scale):
        return f"f(a x) != a f(x) for a = {a}"
    ys = [_like(x, rng) for x in args]
    if not np.allclose(f(*[x + y for x, y in zip(args, ys)]), fx + f(*ys), rtol=1e-10,
                       atol=1e-10 * scale):
        return "f(x + y) != f(x) + f(y)"
    return None


def test_linear_primitives_exist():
    assert {"sum", "getitem", "real", "fft"} <= {p.name for p in LINEAR}


@pytest.mark.parametrize("prim", LINEAR, ids=lambda p: p.name)
def test_declared_linear_is_linear(prim):
    calls = _inputs(prim)
    assert calls, f"no sample of {prim.name!r} reaches its impl"
    rng = np.random.default_rng(0)
    failures = [(i, linearity_failure(prim, args, params, rng))
                for i, (args, params) in enumerate(calls)]
    assert [f for f in failures if f[1] is not None] == []


def test_a_nonlinear_primitive_declared_linear_is_caught():
    """The check can fail: exp, or a shift, declared linear by mistake is caught."""
    rng = np.random.default_rng(1)
    names = ("exp_declared_linear_test", "shift_declared_linear_test")
    try:
        wrong = declare(names[0], np.exp, ("x",), linear=True, diagonal=[lambda out: out],
                        builtin=False)
        assert linearity_failure(wrong, (rng.standard_normal(3),), {}, rng) is not None
        affine = declare(names[1], lambda x: x + 1.0, ("x",), linear=True,
                         diagonal=[lambda x: 1], builtin=False)
        assert "a f(x)" in linearity_failure(affine, (rng.standard_normal(3),), {}, rng)
    finally:
        for name in names:
            REGISTRY.pop(name, None)
