"""ad.curvature: the Hessian operator, spectra, traces, critical points."""
import numpy as np
import pytest

pytest.importorskip("scipy")

import autodiff as ad  # noqa: E402
import autodiff.numpy as anp  # noqa: E402
from autodiff import curvature as C  # noqa: E402

rng = np.random.default_rng(0)


def quadratic(n, eigenvalues=None):
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.linspace(-2.0, 5.0, n) if eigenvalues is None else np.asarray(eigenvalues)
    A = Q @ np.diag(lam) @ Q.T
    return (lambda x: 0.5 * x @ A @ x + anp.sum(anp.sin(x) * 0.0)), A, np.sort(lam)


def test_operator_matches_hessian():
    f = lambda p: anp.sum(anp.sin(p["a"]) * p["b"] ** 2)
    p = {"a": np.array([0.3, 1.0]), "b": np.array([2.0, -1.0])}
    op = ad.hessian_operator(f, p)
    flat, _ = ad.ravel_pytree(p)
    H = ad.hessian(lambda z: f(op.unravel(z)))(flat)
    v = rng.standard_normal(4)
    np.testing.assert_allclose(op @ v, H @ v, rtol=1e-12)
    np.testing.assert_allclose(op.matmat(np.eye(4)), H, rtol=1e-12)


@pytest.mark.parametrize("n", [8, 120])  # dense path and Lanczos path
def test_extreme_eigenvalues(n):
    f, A, lam = quadratic(n)
    x = rng.standard_normal(n)
    np.testing.assert_allclose(C.hessian_eigenvalues(f, x, k=3, which="LA", tol=1e-12), lam[-3:],
                               atol=1e-8)
    vals, vecs = C.hessian_eigenvalues(f, x, k=2, which="SA", tol=1e-12, return_eigenvectors=True)
    np.testing.assert_allclose(vals, lam[:2], atol=1e-8)
    np.testing.assert_allclose(A @ vecs[:, 0], vals[0] * vecs[:, 0], atol=1e-6)


def test_trace_estimate_brackets_the_truth():
    f, A, lam = quadratic(200)
    est = C.hessian_trace(f, np.zeros(200), num_samples=300, tol=1e-4)
    assert abs(est.trace - np.trace(A)) < 4 * est.stderr + 1e-9
    assert est.samples == 300 and est.stderr > 0


def test_spectral_density_finds_the_clusters():
    lam = np.concatenate([np.full(60, -1.0), np.full(40, 3.0)]) + rng.normal(0, 0.01, 100)
    f, A, _ = quadratic(100, lam)
    d = C.spectral_density(f, np.zeros(100), num_steps=40, num_probes=4, sigma=0.1)
    assert np.trapezoid(d.density, d.grid) == pytest.approx(1.0, abs=1e-3)
    mass_low = np.trapezoid(np.where(d.grid < 1, d.density, 0), d.grid)
    assert mass_low == pytest.approx(0.6, abs=0.15)
    peaks = d.grid[np.argsort(d.density)[-1]]
    assert min(abs(peaks + 1), abs(peaks - 3)) < 0.1


def test_lanczos_tridiagonal_has_the_extreme_eigenvalues():
    f, A, lam = quadratic(50)
    alpha, beta = C.lanczos(lambda v: A @ v, rng.standard_normal(50), 50)
    T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    np.testing.assert_allclose(np.linalg.eigvalsh(T)[[0, -1]], lam[[0, -1]], atol=1e-8)


@pytest.mark.parametrize("f,x,verdict", [
    (lambda p: p[0] ** 2 - p[1] ** 2, np.zeros(2), "saddle"),
    (lambda p: p[0] ** 3 - 3 * p[0] * p[1] ** 2, np.zeros(2), "degenerate"),  # monkey saddle
    (lambda p: -(p[0] ** 2) - 2 * p[1] ** 2, np.zeros(2), "maximum"),
    (lambda x: anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2), np.ones(3),
     "minimum"),
    (lambda p: p[0] ** 2 - p[1] ** 2, np.array([1.0, 0.0]), "not critical"),
])
def test_classify_critical_point(f, x, verdict):
    cp = ad.classify_critical_point(f, x)
    assert cp.verdict == verdict, str(cp)


def test_monkey_saddle_needs_third_order():
    monkey = lambda p: p[0] ** 3 - 3 * p[0] * p[1] ** 2
    T = ad.jacfwd(ad.hessian(monkey))(np.zeros(2))  # the third-derivative tensor
    assert T[0, 0, 0] == 6.0 and T[1, 1, 0] == -6.0


def test_escape_saddle_decreases_f():
    f = lambda p: p[0] ** 2 - p[1] ** 2 + 0.25 * p[1] ** 4
    x = np.array([0.0, 0.0])
    x_new = C.escape_saddle(f, x)
    assert f(x_new) < f(x) and abs(x_new[1]) > 0
    res = ad.optimize.minimize(f, x_new, method="newton")
    assert ad.classify_critical_point(f, res.x).verdict == "minimum"
    with pytest.raises(ValueError, match="no negative curvature"):
        C.escape_saddle(lambda p: anp.sum(p ** 2), np.zeros(2))


def test_condition_number_and_directional_curvature():
    f, A, lam = quadratic(6, [1.0, 2.0, 3.0, 4.0, 5.0, 10.0])
    x = np.zeros(6)
    assert C.condition_number(f, x) == pytest.approx(10.0)
    d = rng.standard_normal(6)
    assert C.curvature_along(f, x, d) == pytest.approx(d @ A @ d / (d @ d))
