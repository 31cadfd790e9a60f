"""Registry-wide checks: every built-in primitive's JVP and VJP against finite differences, to
second order in both modes; HVPs against Hessians; Hessians symmetric; jacfwd against jacrev.
They run on the samples each primitive declares (`declare(..., samples=...)`) and on the
composed functions of autodiff.numpy (tests/cases.py)."""
import zlib

import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp
from autodiff.core.primitive import REGISTRY

from cases import COMPOSED_CASES

BUILTIN = [p for p in REGISTRY.values() if p.builtin]  # the docs' tests add users' own


def _drawn(prim):
    """A primitive's samples, drawn with a generator seeded by its name (adding a primitive
    leaves the others' inputs as they were)."""
    rng = np.random.default_rng(zlib.crc32(prim.name.encode()))
    return [(prim.name, i) + sample.draw(prim, rng) for i, sample in enumerate(prim.samples)]


ALL = [case for prim in BUILTIN for case in _drawn(prim)]
ALL += [(name, 0, fn, args) for name, (fn, args) in COMPOSED_CASES.items()]
IDS = [f"{name}-{i}" for name, i, _, _ in ALL]


def test_every_primitive_declares_samples():
    assert BUILTIN
    assert sorted(p.name for p in BUILTIN if not p.samples) == []


def _flat(fn, args):
    """fn of several arrays -> function of one flat vector (its pieces reshaped back)."""
    shapes = [np.shape(a) for a in args]
    sizes = [int(np.prod(s)) for s in shapes]

    def g(z):
        parts, k = [], 0
        for s, n in zip(shapes, sizes):
            parts.append(anp.reshape(z[k:k + n], s))
            k += n
        return fn(*parts)
    return g, np.concatenate([np.ravel(a) for a in args])


def _parts(fn):
    """fn with a complex output as a real one: its real and imaginary parts, stacked."""
    def parts(z):
        y = fn(z)
        return anp.stack([anp.real(y), anp.imag(y)])
    return parts


def _scalar(fn):
    """A scalar with a nonzero Hessian through fn: w·y + (w·y)² + Σ y³/3 for y = fn(x)."""
    def s(z):
        y = fn(z)
        if np.iscomplexobj(ad.stop_gradient(y)):  # both parts: a real scalar
            y = anp.stack([anp.real(y), anp.imag(y)])
        w = np.linspace(0.5, 1.5, max(1, int(np.prod(np.shape(ad.stop_gradient(y))))))
        lin = anp.sum(w.reshape(np.shape(ad.stop_gradient(y))) * y)
        return lin + lin * lin + anp.sum(y * y * y) / 3.0
    return s


@pytest.mark.parametrize("name,i,fn,args", ALL, ids=IDS)
def test_derivatives_to_second_order(name, i, fn, args):
    ad.check_grads(fn, args, order=2)


@pytest.mark.parametrize("name,i,fn,args", ALL, ids=IDS)
def test_hessian_consistency(name, i, fn, args):
    g, z = _flat(fn, args)
    s = _scalar(g)
    H = ad.hessian(s)(z)
    H1 = ad.hessian(s, chunk_size=1)(z)
    n = z.size
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(H, H1, rtol=1e-12, atol=1e-12)
    v = np.random.default_rng(3).standard_normal(n)
    np.testing.assert_allclose(ad.hvp(s, z, v), H @ v, rtol=1e-9, atol=1e-9)
    # reverse-over-reverse agrees with forward-over-reverse
    np.testing.assert_allclose(ad.jacrev(ad.grad(s))(z), H, rtol=1e-9, atol=1e-9)
    # the Hessian against finite differences of the gradient
    eps = 1e-6
    fd = np.stack([(ad.grad(s)(z + eps * e) - ad.grad(s)(z - eps * e)) / (2 * eps)
                   for e in np.eye(n)], axis=1)
    np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,i,fn,args", ALL, ids=IDS)
def test_jacfwd_equals_jacrev(name, i, fn, args):
    g, z = _flat(fn, args)
    if np.iscomplexobj(g(z)):  # jacrev takes real outputs: the real and imaginary parts
        g = _parts(g)
    np.testing.assert_allclose(ad.jacfwd(g)(z), ad.jacrev(g)(z), rtol=1e-10, atol=1e-12)
