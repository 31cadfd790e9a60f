"""Regressions for linalg: derivatives at zero vectors and repeated eigenvalues / singular values,
solve's NumPy 2 broadcasting, and the NumPy keywords of the linalg functions."""
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp

rng = np.random.default_rng(0)


def _sym(n):
    m = rng.standard_normal((n, n))
    return m + m.T


def _all_finite(*arrays):
    return all(np.all(np.isfinite(a)) for a in arrays)


# --- norm at zero vectors ---------------------------------------------------------------------
def test_norm_of_zero_column_has_tangent_zero_in_forward_mode():
    a = t = np.ones((2, 1, 1))
    f = lambda a: anp.linalg.norm(anp.concatenate([a, np.zeros((2, 1, 1))], axis=2), axis=0)
    value, tangent = ad.jvp(f, (a,), (t,))
    assert np.allclose(tangent, [[np.sqrt(2.0), 0.0]])
    assert np.allclose(ad.jacrev(f)(a)[0, 1], 0.0)


NORM_CASES = [((4,), None, o) for o in (None, 2, 1, np.inf, -np.inf, 0, 3, 1.5, 0.5)] + \
    [((3, 4), 0, o) for o in (None, 2, 1, np.inf, 3, 0.5)] + \
    [((3, 4), None, o) for o in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)] + \
    [((2, 3, 4), (2, 0), o) for o in ("fro", "nuc", 2, -2, 1, np.inf)]


@pytest.mark.parametrize("shape, axis, ord", NORM_CASES)
def test_norm_at_zero_has_finite_consistent_derivatives_of_every_order(shape, axis, ord):
    # the norm of a zero vector (matrix) has no derivative: 0 in every mode and order
    w = rng.standard_normal(np.shape(np.linalg.norm(np.ones(shape), ord, axis)))
    f = lambda x: anp.sum(w * anp.linalg.norm(x, ord, axis))
    for x in (np.zeros(shape), np.where(np.arange(shape[-1]) % 2 == 0, 0.0,
                                        rng.standard_normal(shape))):
        t = rng.standard_normal(shape)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no 0/0 on the way either
            g = ad.grad(f)(x)
            _, jt = ad.jvp(f, (x,), (t,))
            h = ad.hessian(f)(x)
            hv = ad.hvp_fn(f, x)(t)  # reverse over reverse
        assert _all_finite(g, jt, h, hv)
        assert np.isclose(jt, np.sum(g * t))
    assert np.all(ad.grad(f)(np.zeros(shape)) == 0) and np.all(ad.hessian(f)(np.zeros(shape)) == 0)


@pytest.mark.parametrize("shape, axis, ord", NORM_CASES + [((3, 4), (1, 0), 1), ((3, 4), -1, -np.inf)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_matches_numpy_and_finite_differences(shape, axis, ord, keepdims):
    x = rng.standard_normal(shape)
    expected = np.linalg.norm(x, ord, axis, keepdims)
    value = anp.linalg.norm(x, ord, axis, keepdims)
    assert np.shape(value) == np.shape(expected) and np.allclose(value, expected)
    w = rng.standard_normal(np.shape(expected))
    ad.check_grads(lambda x: anp.sum(w * anp.linalg.norm(x, ord, axis, keepdims)), (x,),
                   order=2, rtol=1e-5, atol=1e-6)


def test_norm_traced_through_numpy_with_keepdims():
    x = rng.standard_normal((3, 4))
    g = ad.grad(lambda x: np.sum(np.linalg.norm(x, axis=1, keepdims=True) * np.ones((3, 1))))(x)
    assert np.allclose(g, x / np.linalg.norm(x, axis=1, keepdims=True))


def test_vector_norm_matrix_norm_and_svdvals_are_traced():
    x = rng.standard_normal((2, 3, 4))
    for fn, kw in ((np.linalg.vector_norm, dict(axis=(0, 2), ord=3)),
                   (np.linalg.vector_norm, dict(keepdims=True)),
                   (np.linalg.matrix_norm, dict(ord="nuc")), (np.linalg.svdvals, {})):
        value, _ = ad.value_and_grad(lambda x: np.sum(fn(x, **kw)))(x)
        assert np.isclose(value, np.sum(fn(x, **kw)))
        ad.check_grads(lambda x: fn(x, **kw), (x,), order=1, rtol=1e-5)


# --- eigh and svd at repeated eigenvalues / singular values -----------------------------------
def _lower_hessian_of_squares(n):
    """The Hessian of sum(eigvalsh(A)**2) = ||tril(A) + tril(A, -1)^T||_F^2 in A."""
    h = np.zeros((n, n, n, n))
    for i in range(n):
        for j in range(i + 1):
            h[i, j, i, j] = 2.0 if i == j else 4.0
    return h


def test_eigenvalue_gradient_at_the_identity_is_finite():
    assert np.allclose(ad.grad(lambda A: anp.sum(anp.linalg.eigvalsh(A)))(np.eye(3)), np.eye(3))
    g = ad.grad(lambda A: anp.sum(anp.linalg.eigvalsh(A) ** 2))(np.eye(3))
    assert np.allclose(g, 2 * np.eye(3))
    _, jt = ad.jvp(lambda A: anp.sum(anp.exp(anp.linalg.eigh(A)[0])), (np.eye(3),), (_sym(3),))
    assert np.isfinite(jt)


def test_eigenvalue_jvp_at_repeated_eigenvalues_matches_reverse_mode():
    A, t = np.diag([1.0, 1.0, 2.0]), _sym(3)
    f = lambda A: anp.sum(anp.sin(anp.linalg.eigvalsh(A)))  # symmetric in the eigenvalues
    _, jt = ad.jvp(f, (A,), (t,))
    assert np.isclose(jt, np.sum(ad.grad(f)(A) * t))
    h = 1e-6
    assert np.isclose(jt, (f(A + h * t) - f(A - h * t)) / (2 * h), atol=1e-6)


@pytest.mark.parametrize("A", [np.eye(3), np.diag([1.0, 1.0, 2.0])])
def test_eigenvalue_hessian_at_repeated_eigenvalues(A):
    f = lambda A: anp.sum(anp.linalg.eigvalsh(A) ** 2)
    expected = _lower_hessian_of_squares(3)
    near = A + 1e-4 * _sym(3)  # distinct eigenvalues, close together: exact there
    assert np.allclose(ad.hessian(f)(near), expected, atol=1e-6)
    # at exact ties, directions that keep eigh's basis are exact; directions that rotate inside
    # the repeated eigenspace need information the rule cannot see: NaN, never a wrong number
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = ad.hessian(f)(A)
    finite = np.isfinite(h)
    assert np.allclose(h[finite], expected[finite])
    for i in range(3):
        assert np.allclose(h[..., i, i], expected[..., i, i])


def test_spectral_norm_of_a_zero_float32_matrix_stays_float32():
    x = np.zeros((3, 2), np.float32)
    for ord in (2, -2, "nuc"):
        assert ad.value_and_grad(lambda x: anp.linalg.norm(x, ord))(x)[0].dtype == np.float32


def test_eigenvector_derivative_at_repeated_eigenvalues_is_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = ad.grad(lambda A: anp.linalg.eigh(A)[1][0, 0])(np.eye(3))
    assert np.isnan(g).any()


def test_eigh_and_svd_derivatives_check_at_distinct_values():
    A = np.diag([1.0, 2.0, 4.0]) + 0.1 * _sym(3)
    ad.check_grads(lambda A: anp.sum(anp.exp(anp.linalg.eigvalsh(A))), (A,), order=2, rtol=1e-5)
    ad.check_grads(lambda A: anp.linalg.eigh(A)[1], (A,), order=2, rtol=1e-5, atol=1e-6)
    M = rng.standard_normal((4, 3))
    ad.check_grads(lambda M: anp.linalg.svd(M, full_matrices=False)[0] ** 2, (M,), order=2,
                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("M", [np.eye(3), np.zeros((3, 2)), np.diag([2.0, 2.0, 1.0])])
def test_singular_value_gradient_at_repeated_or_zero_singular_values_is_finite(M):
    f = lambda M: anp.sum(anp.linalg.svd(M, compute_uv=False) ** 2)  # = ||M||_F^2
    assert np.allclose(ad.grad(f)(M), 2 * M)
    _, jt = ad.jvp(f, (M,), (np.ones_like(M),))
    assert np.isclose(jt, 2 * np.sum(M))
    g = ad.grad(lambda M: anp.sum(anp.linalg.svd(M, compute_uv=False)))(M)  # nuclear norm
    assert _all_finite(g) and np.linalg.norm(g, 2) <= 1 + 1e-12  # a subgradient


# --- solve: NumPy 2 broadcasting ---------------------------------------------------------------
def test_solve_with_a_stack_of_matrices_and_one_vector():
    A = rng.standard_normal((2, 2, 2)) + 3 * np.eye(2)
    b = rng.standard_normal(2)
    f = lambda A, b: np.linalg.solve(A, b)
    assert np.allclose(ad.jacfwd(f, argnums=(0, 1))(A, b)[1],
                       ad.jacrev(f, argnums=(0, 1))(A, b)[1])
    assert np.allclose(f(A, b), np.linalg.solve(A, b)) and f(A, b).shape == (2, 2)
    per_matrix = lambda A, b: anp.stack([anp.linalg.solve(A[i], b) for i in range(2)])
    for argnums in (0, 1):
        assert np.allclose(ad.jacfwd(f, argnums=argnums)(A, b),
                           ad.jacfwd(per_matrix, argnums=argnums)(A, b))
        assert np.allclose(ad.jacrev(f, argnums=argnums)(A, b),
                           ad.jacrev(per_matrix, argnums=argnums)(A, b))
    loss = lambda b: anp.sum(anp.linalg.solve(A, b) ** 3)
    assert np.allclose(ad.hessian(loss)(b),
                       ad.hessian(lambda b: anp.sum(per_matrix(A, b) ** 3))(b))
    ad.check_grads(lambda A, b: f(A, b), (A, b), order=2, rtol=1e-5)


def test_solve_with_a_stack_of_right_hand_sides_is_matrices():
    A = rng.standard_normal((2, 2)) + 3 * np.eye(2)
    b = rng.standard_normal((3, 2, 4))
    assert np.allclose(ad.grad(lambda b: np.sum(np.linalg.solve(A, b)))(b),
                       np.broadcast_to(np.linalg.solve(A.T, np.ones(2))[:, None], b.shape))


# --- NumPy keywords ----------------------------------------------------------------------------
def test_cholesky_upper_reads_and_returns_the_upper_triangle():
    M = rng.standard_normal((3, 3))
    A = M @ M.T + 3 * np.eye(3)
    A_upper = np.triu(A) + 100 * np.tril(np.ones((3, 3)), -1)  # the lower triangle is unread
    assert np.allclose(anp.linalg.cholesky(A_upper, upper=True),
                       np.linalg.cholesky(A_upper, upper=True))
    g = ad.grad(lambda A: np.sum(np.linalg.cholesky(A, upper=True) ** 2))(A_upper)
    assert np.allclose(np.tril(g, -1), 0)
    ad.check_grads(lambda A: np.linalg.cholesky(A, upper=True), (A_upper,), order=2, rtol=1e-5)


def test_eigh_uplo_upper():
    A = np.triu(_sym(3)) + 50 * np.tril(np.ones((3, 3)), -1)
    w, v = np.linalg.eigh(A, UPLO="U")
    ws, vs = ad.value_and_grad(lambda A: np.sum(np.linalg.eigvalsh(A, UPLO="U") ** 3))(A)
    assert np.isclose(ws, np.sum(w ** 3)) and np.allclose(np.tril(vs, -1), 0)
    assert np.allclose(np.abs(anp.linalg.eigh(A, UPLO="U")[1]), np.abs(v))
    with pytest.raises(ValueError, match="UPLO"):
        anp.linalg.eigh(A, UPLO="X")


def test_svd_hermitian_matches_numpy():
    A = _sym(3)
    u, s, vh = np.linalg.svd(A, hermitian=True)
    au, as_, avh = anp.linalg.svd(A, hermitian=True)
    assert np.allclose(au, u) and np.allclose(as_, s) and np.allclose(avh, vh)
    assert np.allclose(anp.linalg.svd(A, compute_uv=False, hermitian=True), s)
    f = lambda A: np.sum(np.linalg.svd(A, hermitian=True, compute_uv=False) ** 3)
    g = ad.grad(f)(np.tril(A))
    assert np.allclose(g, ad.grad(lambda A: np.sum(np.abs(np.linalg.eigvalsh(A)) ** 3))(A))


def test_svd_full_matrices_names_the_keyword():
    with pytest.raises(NotImplementedError, match="full_matrices"):
        ad.grad(lambda A: np.sum(np.linalg.svd(A)[0]))(np.ones((3, 2)))


def test_pinv_default_cutoff_and_rtol_match_numpy():
    A = np.eye(3)[:, :2] @ np.diag([1.0, 8e-16])  # kept by 3 * eps, dropped by 1e-15
    for kw in ({}, {"rtol": None}, {"rcond": 1e-20}, {"rtol": 1e-20}, {"hermitian": False}):
        assert np.allclose(ad.value_and_grad(lambda A: np.sum(np.linalg.pinv(A, **kw)))(A)[0],
                           np.sum(np.linalg.pinv(A, **kw)), rtol=1e-12)
    with pytest.raises(ValueError, match="rtol"):
        anp.linalg.pinv(A, rcond=1e-3, rtol=1e-3)
    S = _sym(3) + 6 * np.eye(3)
    assert np.allclose(anp.linalg.pinv(S, hermitian=True), np.linalg.pinv(S, hermitian=True))


def test_results_have_numpy_2_field_names():
    A = _sym(3) + 6 * np.eye(3)
    w = ad.grad(lambda A: np.sum(np.linalg.eigh(A).eigenvalues))(A)
    s = ad.grad(lambda A: np.sum(np.linalg.svd(A).S))(A)
    d = ad.grad(lambda A: np.linalg.slogdet(A).logabsdet)(A)
    assert np.allclose(w, np.eye(3)) and _all_finite(s) and np.allclose(d, np.linalg.inv(A).T)
    assert ad.jacobian(lambda A: np.linalg.eigh(A))(A).eigenvectors.shape == (3, 3, 3, 3)


def test_multi_dot_out_is_refused_by_name():
    with pytest.raises(TypeError, match="out="):
        ad.grad(lambda a: np.sum(np.linalg.multi_dot([a, a], out=np.zeros((2, 2)))))(np.eye(2))


def test_nuclear_norm_hessian_at_equal_singular_values_is_never_finite_and_wrong():
    """At singular values equal to round-off, Townsend's 1 / (s_j - s_i) is noise: the Hessian
    came out finite, symmetric and wrong (by 0.1). Such pairs count as ties now (NaN where the
    rotation within the tie matters); clearly separated ones stay exact."""
    nuc = lambda a: anp.linalg.norm(a, "nuc")  # noqa: E731
    grad = ad.grad(nuc)
    for A in (np.array([[-0.5, 1.0], [1.0, 0.5]]), np.array([[2.0, 0.3], [0.1, 1.0]])):
        H = ad.hessian(nuc)(A).reshape(4, 4)
        eps = 1e-5
        fd = np.array([((grad(A + eps * E) - grad(A - eps * E)) / (2 * eps)).ravel()
                       for E in np.eye(4).reshape(4, 2, 2)])
        finite = np.isfinite(H)
        np.testing.assert_allclose(H[finite], fd[finite], atol=1e-6)
        if np.ptp(np.linalg.svd(A, compute_uv=False)) > 0.1:
            assert finite.all()
