"""np.linalg.eig and eigvals on traced values: NumPy's results, the derivatives of those results
(eigenvectors in NumPy's convention) against finite differences to second order, real and
complex, and NaN where a derivative does not exist."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp


def _nondefective(rng, n, pair):
    s = rng.uniform(-1, 1, (n, n)) + n * np.eye(n)
    d = np.diag(np.arange(1.0, n + 1) * 1.5 - 2.2)
    if pair:
        d[:2, :2] = [[1.0, 2.0], [-0.5, 1.0]]
    return s @ d @ np.linalg.inv(s)


def _fd_jvp(f, a, t, eps=1e-6):
    return (f(a + eps * t) - f(a - eps * t)) / (2 * eps)


@pytest.mark.parametrize("kind", ["real spectrum", "complex pair", "complex matrix"])
def test_values_are_numpys(kind):
    rng = np.random.default_rng(0)
    a = _nondefective(rng, 4, kind == "complex pair")
    if kind == "complex matrix":
        a = a + 1j * rng.standard_normal((4, 4))
    seen = {}

    def f(a):
        r = np.linalg.eig(a)
        seen["eig"] = (ad.stop_gradient(r.eigenvalues), ad.stop_gradient(r.eigenvectors))
        return np.sum(np.real(r.eigenvalues))
    ad.grad(f)(a)
    expected = np.linalg.eig(a)
    for got, want in zip(seen["eig"], expected):
        assert got.dtype == want.dtype  # real for a real matrix with a real spectrum, as NumPy
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("kind", ["real spectrum", "complex pair", "complex matrix", "stack"])
def test_jvp_and_vjp_of_eigenvectors_against_finite_differences(kind):
    rng = np.random.default_rng(1)
    if kind == "stack":
        a = np.stack([_nondefective(rng, 3, False), _nondefective(rng, 3, True)])
    else:
        a = _nondefective(rng, 4, kind == "complex pair")
    t = rng.standard_normal(a.shape)
    if kind == "complex matrix":
        a = a + 1j * rng.standard_normal(a.shape)
        t = t + 1j * rng.standard_normal(a.shape)

    def f(a):
        w, v = anp.linalg.eig(a)
        return anp.concatenate([w[..., None, :], v], axis=-2)
    out, jv = ad.jvp(f, (a,), (t,))
    np.testing.assert_allclose(jv, _fd_jvp(f, a, t), rtol=1e-6, atol=1e-7)
    g = rng.standard_normal(out.shape)
    if np.iscomplexobj(out):
        g = g + 1j * rng.standard_normal(out.shape)
    ga, = ad.vjp(f, a)[1](g)
    np.testing.assert_allclose(np.real(np.sum(ga * t)), np.real(np.sum(g * jv)), rtol=1e-10)


@pytest.mark.parametrize("pair", [False, True])
def test_second_order_of_real_functions(pair):
    a = _nondefective(np.random.default_rng(2), 3, pair)

    def f(a):
        w, v = np.linalg.eig(a)
        return np.sum(np.abs(w) ** 2) + np.sum(np.real(w) ** 3) + np.real(np.sum(v[0] * v[1]))
    ad.check_grads(f, (a,), order=2)
    ad.check_grads(lambda a: np.sum(np.abs(np.linalg.eigvals(a))), (a,), order=2)


def test_complex_input_follows_the_complex_conventions():
    """grad of a real function of a complex matrix is df/dx - i df/dy (docs/complex.md)."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))

    def f(z):
        return np.sum(np.abs(np.linalg.eigvals(z))) + np.real(np.linalg.eig(z)[1][1, 2] ** 2)
    g = ad.grad(f)(z)
    eps = 1e-6
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        e = np.zeros((3, 3))
        e[i, j] = eps
        dx = (f(z + e) - f(z - e)) / (2 * eps)
        dy = (f(z + 1j * e) - f(z - 1j * e)) / (2 * eps)
        np.testing.assert_allclose(g[i, j], dx - 1j * dy, rtol=1e-6)
    ad.check_grads(f, (z,), order=2)
    # the Hessian in the real and imaginary parts, against finite differences of the gradient
    x, y = np.real(z), np.imag(z)
    H = ad.hessian(lambda x, y: f(x + 1j * y), argnums=(0, 1))(x, y)
    gx = ad.grad(lambda x: f(x + 1j * y))
    e = np.zeros((3, 3))
    e[0, 1] = eps
    np.testing.assert_allclose(H[0][0][:, :, 0, 1], (gx(x + e) - gx(x - e)) / (2 * eps),
                               rtol=1e-5, atol=1e-6)


def test_symmetric_input_agrees_with_eigh():
    """On a symmetric matrix eig's sorted eigenvalues are eigh's: so are their derivatives."""
    rng = np.random.default_rng(4)
    b = rng.standard_normal((4, 4))

    def by_eig(b):
        w = np.linalg.eigvals(b + b.T)
        return anp.take_along_axis(w, np.argsort(ad.stop_gradient(w)), axis=-1)

    def by_eigh(b):
        return np.linalg.eigvalsh(b + b.T)
    np.testing.assert_allclose(ad.jacrev(by_eig)(b), ad.jacrev(by_eigh)(b), atol=1e-10)
    s = lambda f: (lambda b: np.sum(f(b) ** 3))  # noqa: E731
    np.testing.assert_allclose(ad.hessian(s(by_eig))(b), ad.hessian(s(by_eigh))(b), atol=1e-8)


def test_repeated_eigenvalues():
    """At the identity, a symmetric function of the eigenvalues keeps its derivative (the trace
    here); an eigenvector, which jumps, gets NaN."""
    eye = np.eye(3)
    trace = lambda a: np.sum(np.real(np.linalg.eigvals(a)))  # noqa: E731
    np.testing.assert_allclose(ad.grad(trace)(eye), eye, atol=1e-14)
    vector = lambda a: np.real(np.linalg.eig(a)[1][0, 0])  # noqa: E731
    assert np.isnan(ad.grad(vector)(eye)).all()
    assert np.isnan(ad.jacfwd(vector)(eye)).any()


def test_defective_matrix_gives_nan():
    """A Jordan block has no basis of eigenvectors: its eigenvalues move like sqrt, so no
    finite derivative (never the huge number round-off would give)."""
    jordan = np.array([[1.0, 1.0], [0.0, 1.0]])
    trace = lambda a: np.sum(np.real(np.linalg.eigvals(a)))  # noqa: E731
    assert np.isnan(ad.grad(trace)(jordan)).all()
    assert np.isnan(ad.jacfwd(trace)(jordan)).all()


def test_rotation_matrix_phase():
    """A rotation's eigenvectors (1, +-i)/sqrt(2) have two largest components of equal modulus:
    NumPy's phase jumps there. Phase-free functions keep exact derivatives to second order; a
    phase-dependent one gets NaN in reverse mode."""
    rot = np.array([[0.0, 1.0], [-1.0, 0.0]])

    def phase_free(a):
        w, v = np.linalg.eig(a)
        return np.sum(np.real(w) ** 2 - np.imag(w) ** 3) + np.sum(np.abs(v[0]) ** 3)
    grad = ad.grad(phase_free)
    eps = 1e-6
    fd = np.array([(phase_free(rot + eps * e) - phase_free(rot - eps * e)) / (2 * eps)
                   for e in np.eye(4).reshape(4, 2, 2)]).reshape(2, 2)
    np.testing.assert_allclose(grad(rot), fd, atol=1e-8)
    fd2 = np.array([(grad(rot + eps * e) - grad(rot - eps * e)) / (2 * eps)
                    for e in np.eye(4).reshape(4, 2, 2)])
    H = ad.hessian(phase_free)(rot)
    np.testing.assert_allclose(H.reshape(4, 4), fd2.reshape(4, 4).T, atol=1e-6)
    phase = lambda a: np.imag(np.linalg.eig(a)[1][0, 0])  # noqa: E731
    assert np.isnan(ad.grad(phase)(rot)).all()


def test_errors():
    with pytest.raises(ValueError, match="square"):
        ad.grad(lambda a: np.sum(np.abs(np.linalg.eigvals(a))))(np.ones((2, 3)))
