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
    est = C.hessian_trace(f, np.zeros(200), max_samples=300, tol=1e-4)
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


@pytest.mark.parametrize("n", [5, 60])  # the formed Hessian; Lanczos
def test_classify_critical_point_searches_the_spectrum_once(n):
    """Both ends from one 'SA' search (which finds the largest eigenvalue first): as many
    products of f as hessian_eigenvalues(which='SA') alone and one gradient, and the same
    eigenvalues as the two separate searches."""
    quad, A, lam = quadratic(n)
    calls = []
    f = lambda x: calls.append(1) or quad(x)
    x = np.zeros(n)
    cp = ad.classify_critical_point(f, x)
    classify_calls, calls[:] = len(calls), []
    lo = C.hessian_eigenvalues(f, x, which="SA")
    assert classify_calls == len(calls) + 1  # + value_and_grad
    assert cp.min_eigenvalue == lo[0]
    assert cp.max_eigenvalue == C.hessian_eigenvalues(f, x, which="LA")[0]
    np.testing.assert_allclose([cp.min_eigenvalue, cp.max_eigenvalue], lam[[0, -1]], atol=1e-6)
    assert cp.verdict == "saddle"


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


# --- H V in batched sweeps: the operator's matmat and the probe estimators ---------------------
def nonquadratic(n, seed=1):
    g = np.random.default_rng(seed)
    A = g.standard_normal((n, n))
    A = A + A.T
    f = lambda x: 0.5 * x @ A @ x + anp.sum(anp.cos(x) * x ** 3)
    return f, g.standard_normal(n)


def test_matmat_equals_column_by_column_matvecs_and_the_hessian():
    f = lambda p: anp.sum(anp.sin(p["a"]) * p["b"] ** 2) + anp.prod(p["a"]) * p["b"][0]
    p = {"a": np.array([0.3, 1.0, -0.7]), "b": np.array([2.0, -1.0, 0.5])}
    op = ad.hessian_operator(f, p)
    H = ad.hessian(lambda z: f(op.unravel(z)))(op.x)
    V = rng.standard_normal((6, 7))
    columns = np.column_stack([op.matvec(V[:, j]) for j in range(7)])
    np.testing.assert_allclose(op.matmat(V), columns, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(op @ V, H @ V, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(op.rmatmat(V), H @ V, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(op.matmat(np.eye(6, dtype=int)), H, rtol=1e-12, atol=1e-13)


def count_sweeps(monkeypatch):
    """The number of batched forward-over-reverse sweeps made through hessian_times_matrix."""
    from autodiff import hessian_products
    calls = []
    real = hessian_products.hvp

    def counting(f, x, V, batched=False):
        calls.append(V.shape)
        return real(f, x, V, batched=batched)
    monkeypatch.setattr(hessian_products, "hvp", counting)
    return calls


def test_matmat_is_one_batched_sweep_per_chunk(monkeypatch):
    sweeps = count_sweeps(monkeypatch)
    f, x = nonquadratic(6)
    op = ad.hessian_operator(f, x)
    op.matmat(rng.standard_normal((6, 5)))
    assert sweeps == [(5, 6)]
    sweeps.clear()
    np.testing.assert_allclose(ad.hessian_times_matrix(f, x, np.eye(6), chunk_size=4),
                               ad.hessian(f)(x), rtol=1e-12)
    assert sweeps == [(4, 6), (2, 6)]


def test_hessian_times_matrix_refuses_what_it_cannot_multiply():
    f, x = nonquadratic(4)
    with pytest.raises(ValueError, match=r"V of shape \(n, k\) = \(4, k\).*got shape \(4,\)"):
        ad.hessian_times_matrix(f, x, np.ones(4))
    with pytest.raises(ValueError, match=r"V of shape \(n, k\) = \(4, k\).*got shape \(3, 2\)"):
        ad.hessian_times_matrix(f, x, np.ones((3, 2)))
    with pytest.raises(ValueError, match="flat vector x"):
        ad.hessian_times_matrix(f, x.reshape(2, 2), np.ones((4, 1)))
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        ad.hessian_times_matrix(f, x, np.ones((4, 2)), chunk_size=0)
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        ad.hessian_times_matrix(f, x, np.ones((4, 2)), chunk_size=True)
    with pytest.raises(TypeError, match="complex"):
        ad.hessian_times_matrix(f, x, np.ones((4, 2), dtype=complex))
    with pytest.raises(TypeError, match="complex"):
        ad.hessian_times_matrix(f, x + 0j, np.ones((4, 2)))
    assert ad.hessian_times_matrix(f, x, np.ones((4, 0))).shape == (4, 0)


def hutchinson_one_probe_at_a_time(H, num_samples, tol, seed):
    """The trace estimator as it was before probes were batched: one product per draw."""
    g = np.random.default_rng(seed)
    values = []
    for _ in range(num_samples):
        z = g.choice([-1.0, 1.0], size=H.shape[0])
        values.append(float(z @ H @ z))
        if len(values) >= 10 and np.std(values, ddof=1) / np.sqrt(len(values)) <= \
                tol * abs(np.mean(values)):
            break
    stderr = np.std(values, ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.inf
    return np.mean(values), stderr, len(values)


@pytest.mark.parametrize("num_samples,tol,seed,samples", [
    (57, 1e-9, 3, 57), (100, 0.01, 0, 78), (100, 0.02, 1, 22), (100, 0.03, 2, 13),
    (100, 0.05, 0, 10), (1, 0.1, 0, 1), (15, 1e-9, 0, 15)])
def test_trace_estimate_is_unchanged_by_batching_the_probes(num_samples, tol, seed, samples):
    g = np.random.default_rng(2)
    A = np.diag(np.linspace(1, 5, 30)) + 0.3 * g.standard_normal((30, 30))
    A = (A + A.T) / 2
    f = lambda x: 0.5 * x @ A @ x + anp.sum(anp.cos(x) * 1e-3 * x ** 3)
    x = g.standard_normal(30)
    H = ad.hessian(f)(x)
    est = C.hessian_trace(f, x, max_samples=num_samples, tol=tol, seed=seed)
    trace, stderr, count = hutchinson_one_probe_at_a_time(H, num_samples, tol, seed)
    assert est.samples == count == samples
    np.testing.assert_allclose(est.trace, trace, rtol=1e-12)
    np.testing.assert_allclose(est.stderr, stderr, rtol=1e-9)


def lanczos_one_probe(matvec, v0, steps):
    """Lanczos as it was before the probes of SLQ ran in lockstep (the reference)."""
    n = v0.size
    Q = np.zeros((min(steps, n), n))
    alpha, beta = [], []
    q = v0 / np.linalg.norm(v0)
    for j in range(min(steps, n)):
        Q[j] = q
        w = matvec(q)
        a = float(q @ w)
        w = w - Q[:j + 1].T @ (Q[:j + 1] @ w)
        w = w - Q[:j + 1].T @ (Q[:j + 1] @ w)
        alpha.append(a)
        b = float(np.linalg.norm(w))
        if b < 1e-10 or j == min(steps, n) - 1:
            break
        beta.append(b)
        q = w / b
    return np.array(alpha), np.array(beta)


@pytest.mark.parametrize("num_steps,num_probes,seed", [(12, 3, 5), (40, 2, 6), (40, 1, 0),
                                                       (8, 4, 1)])
def test_spectral_density_is_unchanged_by_batching_the_probes(num_steps, num_probes, seed):
    f, x = nonquadratic(30)
    H = ad.hessian(f)(x)
    g = np.random.default_rng(seed)
    nodes, weights = [], []
    for _ in range(num_probes):
        alpha, beta = lanczos_one_probe(lambda v: H @ v, g.standard_normal(30), num_steps)
        theta, S = np.linalg.eigh(np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1))
        nodes.append(theta)
        weights.append(S[0] ** 2 / num_probes)
    d = C.spectral_density(f, x, num_steps=num_steps, num_probes=num_probes, seed=seed)
    np.testing.assert_allclose(d.nodes, np.concatenate(nodes), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(d.weights, np.concatenate(weights), rtol=1e-6, atol=1e-10)


def test_lanczos_stops_each_probe_on_its_invariant_subspace():
    A = np.diag([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    V0 = np.column_stack([[1.0, 1, 0, 0, 0, 0], [1.0, 1, 1, 1, 1, 1]])  # Krylov dims 2 and 6
    alphas, betas = C.lanczos_block(lambda Q: A @ Q, V0, 6)
    for (alpha, beta), v0 in zip(zip(alphas, betas), V0.T):
        want_alpha, want_beta = lanczos_one_probe(lambda v: A @ v, v0, 6)
        np.testing.assert_allclose(alpha, want_alpha, rtol=1e-12)
        np.testing.assert_allclose(beta, want_beta, rtol=1e-12)
    assert [a.size for a in alphas] == [2, 6]
    np.testing.assert_allclose(C.lanczos(lambda v: A @ v, V0[:, 0], 6)[0], alphas[0])


@pytest.mark.parametrize("shape", [(3,), (3, 2)])
def test_operator_refuses_complex_vectors(shape):
    op = ad.hessian_operator(lambda x: anp.sum(x ** 3), np.ones(3))
    with pytest.raises(TypeError, match="complex"):
        op @ np.full(shape, 1j)
    np.testing.assert_allclose(op @ np.ones(shape, dtype=int), 6 * np.ones(shape))


def count_products(monkeypatch):
    """A list whose length is the number of Hessian-vector products the operator makes."""
    import autodiff.curvature.operator as operator
    real, calls = operator.hvp_fn, []

    def counting(*args, **kwargs):
        product = real(*args, **kwargs)
        return lambda v: calls.append(1) or product(v)
    monkeypatch.setattr(operator, "hvp_fn", counting)
    return calls


def test_smallest_eigenvalue_of_a_nearly_singular_hessian_is_cheap(monkeypatch):
    # a trained network's Hessian: a few large eigenvalues, hundreds about 0. ARPACK's 'SA'
    # measured tol against the smallest eigenvalue itself (~1e-9) and took 264 products
    n = 300
    lam = np.concatenate([np.linspace(1, 10, 10), 1e-8 * rng.random(n - 10)])
    f, A, lam = quadratic(n, lam)
    calls = count_products(monkeypatch)
    vals, vecs = C.hessian_eigenvalues(f, np.zeros(n), k=1, which="SA", tol=1e-3,
                                       return_eigenvectors=True)
    assert len(calls) < 100
    assert abs(vals[0] - lam[0]) <= 1e-3 * lam[-1]
    np.testing.assert_allclose(A @ vecs[:, 0], vals[0] * vecs[:, 0], atol=1e-3 * lam[-1])


def test_no_convergence_falls_back_on_the_formed_hessian_with_a_warning():
    f, A, lam = quadratic(120)
    for which, want in (("LA", lam[-2:]), ("SA", lam[:2])):
        with pytest.warns(RuntimeWarning, match="did not converge.*formed Hessian"):
            vals = C.hessian_eigenvalues(f, np.zeros(120), k=2, which=which, maxiter=1,
                                         tol=1e-14)
        np.testing.assert_allclose(vals, want, atol=1e-10)


def test_no_convergence_returns_what_converged_with_a_warning(monkeypatch):
    import scipy.sparse.linalg as linalg
    f, A, lam = quadratic(120)
    Q = np.linalg.eigh(A)[1]

    def partial(op, k, which, **kwargs):
        raise linalg.ArpackNoConvergence("ARPACK error -1: No convergence", lam[-1:],
                                         Q[:, -1:])
    monkeypatch.setattr(linalg, "eigsh", partial)
    with pytest.warns(RuntimeWarning, match="returning the 1 of the k=3 eigenvalues"):
        vals = C.hessian_eigenvalues(f, np.zeros(120), k=3, which="LA")
    np.testing.assert_allclose(vals, lam[-1:])


def test_trace_names_its_sample_count_for_what_it_is():
    f, A, lam = quadratic(30)
    est = C.hessian_trace(f, np.zeros(30), max_samples=50, tol=0.5)
    assert est.samples == 10  # the standard error reached tol: max_samples is a cap
    assert C.hessian_trace(f, np.zeros(30), max_samples=50, tol=0).samples == 50
    with pytest.warns(DeprecationWarning, match="num_samples is deprecated.*max_samples"):
        old = C.hessian_trace(f, np.zeros(30), num_samples=50, tol=0.5)
    assert old == est


def test_density_repr_is_short_and_it_plots():
    f, x = nonquadratic(30)
    d = C.spectral_density(f, x, num_steps=10)
    assert len(repr(d)) < 200 and "grid of 1000 points" in repr(d)
    grid, density, nodes, weights = d  # still a tuple
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = d.plot()
    assert ax.get_xlabel() == "eigenvalue" and len(ax.lines) == 1


@pytest.mark.parametrize("call", [
    lambda f, x: ad.hvp(f, x, x, 3.0),
    lambda f, x: ad.jvp(f, (x,), (x,), True),
    lambda f, x: ad.grad(f, 0, True),
    lambda f, x: ad.jacfwd(f, 0, 4),
    lambda f, x: ad.hessian(f, 0, 4),
    lambda f, x: ad.hessian_times_matrix(f, x, np.eye(3), 2),
    lambda f, x: ad.hessian_operator(f, x, (), 2),
    lambda f, x: ad.sparse_hessian(f, None, 2),
    lambda f, x: ad.optimize.minimize(f, x, "bfgs", ()),
    lambda f, x: C.hessian_eigenvalues(f, x, 1, "LA", ()),
    lambda f, x: C.hessian_trace(f, x, (), 50),
    lambda f, x: C.spectral_density(f, x, (), 10),
    lambda f, x: ad.classify_critical_point(f, x, (), 1e-3)])
def test_flags_and_options_are_keyword_only(call):
    with pytest.raises(TypeError, match="positional argument"):
        call(lambda x: anp.sum(x ** 3), np.ones(3))


def test_hvp_fn_and_hessian_operator_take_data_arguments():
    f = lambda w, X, y: anp.sum((X @ w - y) ** 2)
    X, y, w, v = rng.standard_normal((5, 3)), rng.standard_normal(5), np.ones(3), np.arange(3.0)
    want = 2 * X.T @ X @ v
    np.testing.assert_allclose(ad.hvp_fn(f, w, args=(X, y))(v), want, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian_operator(f, w, (X, y)) @ v, want, rtol=1e-12)
    g = lambda w, X: anp.sum((X @ w) ** 2)  # one argument, not in a tuple, as scipy allows
    np.testing.assert_allclose(ad.hvp_fn(g, w, args=X)(v), want - 0 * v, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian_operator(g, w, X) @ v, want, rtol=1e-12)


def test_condition_number_never_raises_arpacks_error(monkeypatch):
    import scipy.sparse.linalg as linalg
    f, A, lam = quadratic(250, np.linspace(1.0, 50.0, 250))

    def stuck(op, k, which, **kwargs):
        raise linalg.ArpackNoConvergence("ARPACK error -1: No convergence", np.zeros(0),
                                         np.zeros((250, 0)))
    monkeypatch.setattr(linalg, "eigsh", stuck)
    with pytest.warns(RuntimeWarning, match="formed Hessian"):
        assert C.condition_number(f, np.zeros(250)) == pytest.approx(50.0)
