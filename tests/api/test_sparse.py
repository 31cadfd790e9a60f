"""Sparse Hessians: traced patterns, symmetric coloring, exact recovery."""
import numpy as np
import pytest

pytest.importorskip("scipy")

import autodiff as ad  # noqa: E402
import autodiff.numpy as anp  # noqa: E402
from autodiff.sparse import color_hessian  # noqa: E402

from colorings import assert_star_coloring  # noqa: E402


def rosen(x):
    return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def arrowhead(x):
    return anp.sum(x ** 4) + x[0] * anp.sum(x[1:] ** 2) + anp.sum(anp.sin(x[:-1] * x[1:]))


def energy_2d(x):  # a discretized 2-D energy on a 6 x 5 grid: 5-point-stencil coupling
    u = anp.reshape(x, (6, 5))
    dx, dy = u[1:, :] - u[:-1, :], u[:, 1:] - u[:, :-1]
    return anp.sum(anp.sqrt(1.0 + dx ** 2)) + anp.sum(anp.sqrt(1.0 + dy ** 2)) + anp.sum(anp.exp(u))


def mixed(x):  # products, divisions, powers, reductions, concatenation, matmul with a constant
    A = np.diag(np.ones(7)) + np.diag(np.ones(6), 1)
    y = A @ x
    z = anp.concatenate([y[:3] / (2.0 + x[3:6] ** 2), anp.cumsum(x[4:]) * x[0]])
    return anp.sum(z ** 3) + anp.max(x) * 2.0 + anp.sum(anp.where(x > 0.5, x, 0.0)) ** 2


CASES = [(rosen, 9), (arrowhead, 9), (energy_2d, 30), (mixed, 7)]


@pytest.mark.parametrize("f,n", CASES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_pattern_contains_every_nonzero(f, n):
    x = np.random.default_rng(0).uniform(0.1, 1.0, n)
    P = ad.hessian_sparsity(f, x).toarray()
    H = ad.hessian(f)(x)
    assert np.all((H != 0) <= P), np.argwhere((H != 0) & ~P)
    assert (P == P.T).all()


@pytest.mark.parametrize("f,n", CASES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_sparse_hessian_equals_dense(f, n):
    x = np.random.default_rng(1).uniform(0.1, 1.0, n)
    S = ad.sparse_hessian(f)(x)
    np.testing.assert_allclose(S.toarray(), ad.hessian(f)(x), rtol=1e-12, atol=1e-12)


C = np.diag(np.ones(4)) + np.diag(np.ones(3), 1)


@pytest.mark.parametrize("f,n", [
    (lambda x: anp.einsum("i,j->", x[:3], x[3:6]) + anp.sum(x[6:] ** 2), 9),
    (lambda x: anp.sum(anp.reshape(x[:12], (3, 2, 2)) @ anp.reshape(x[12:], (3, 2, 2))), 24),
    (lambda x: anp.einsum("ij,ji->", x.reshape(3, 3), x.reshape(3, 3))
     + anp.einsum("ii->", x.reshape(3, 3)) ** 2, 9),
    (lambda x: anp.sum(anp.einsum("ij,jk,ik->i", x.reshape(2, 4), C, x.reshape(2, 4))), 8),
    (lambda x: anp.sum((x[:6].reshape(2, 3) @ x[6:].reshape(3, 2)) ** 2), 12),
    (lambda x: anp.einsum("i,i,i->", x[:3], x[3:6], x[6:]), 9),
], ids=["outer", "batched_matmul", "trace", "sparse_constant", "matmul", "triple"])
def test_patterns_are_exact_for_einsum_and_matmul(f, n):
    x = np.random.default_rng(6).uniform(0.1, 1.0, n)
    P = ad.hessian_sparsity(f, x).toarray()
    H = ad.hessian(f)(x)
    assert (P == (H != 0)).all(), (np.argwhere(P != (H != 0)))


def test_patterns_are_exact_for_elementwise_code():
    x = np.random.default_rng(2).uniform(0.1, 1.0, 9)
    P = ad.hessian_sparsity(rosen, x).toarray()
    expected = np.eye(9, dtype=bool) | np.eye(9, k=1, dtype=bool) | np.eye(9, k=-1, dtype=bool)
    assert (P == expected).all()


def test_colors_do_not_grow_with_n():
    counts = {}
    for n in (10, 1000, 20000):
        x = np.random.default_rng(3).uniform(0.1, 1.0, n)
        counts[n] = {f.__name__: color_hessian(ad.hessian_sparsity(f, x)).num_colors
                     for f in (rosen, arrowhead)}
    assert counts[10] == counts[1000] == counts[20000] == {"rosen": 3, "arrowhead": 4}


def test_pattern_and_coloring_are_reused():
    sh = ad.sparse_hessian(rosen)
    x = np.random.default_rng(4).uniform(0.1, 1.0, 50)
    H1 = sh(x)
    pattern = sh.pattern
    H2 = sh(x + 0.1)
    assert sh.pattern is pattern and sh.num_colors == 3
    np.testing.assert_allclose(H2.toarray(), ad.hessian(rosen)(x + 0.1), rtol=1e-12)
    assert (H1 != H2).nnz > 0


def test_bad_inputs():
    with pytest.raises(ValueError, match="flat vector"):
        ad.sparse_hessian(rosen)(np.ones((2, 2)))
    with pytest.raises(TypeError, match="scalar output"):
        ad.hessian_sparsity(lambda x: x ** 2, np.ones(3))


def _distance2_colors(P):
    """A reference: greedy distance-2 coloring (largest degree first), the simpler kind."""
    n = P.shape[0]
    nbrs = [set(P.indices[P.indptr[v]:P.indptr[v + 1]]) - {v} for v in range(n)]
    colors = {}
    for v in sorted(range(n), key=lambda v: -len(nbrs[v])):
        near = set().union(nbrs[v], *(nbrs[w] for w in nbrs[v])) - {v}
        taken = {colors[u] for u in near if u in colors}
        colors[v] = next(c for c in range(n) if c not in taken)
    return max(colors.values()) + 1


def test_star_coloring_needs_fewer_colors_than_distance_2():
    import scipy.sparse as sp
    fewer = []
    for seed in range(5):
        n = 300
        A = sp.random(n, n, density=4.0 / n, random_state=seed, format="csr").astype(bool)
        A = (A + A.T + sp.eye(n, dtype=bool)).astype(bool).tocsr()
        coloring = color_hessian(A)
        assert_star_coloring(A, coloring)
        fewer.append(_distance2_colors(A) - coloring.num_colors)
    assert min(fewer) >= 0 and sum(fewer) > 0, fewer


def test_sparse_hessian_of_irregular_couplings():
    # Pairs coupled at random: no banded structure, so the greedy star coloring is used.
    rng = np.random.default_rng(5)
    i, j = rng.integers(0, 80, 120), rng.integers(0, 80, 120)

    def f(x):
        return anp.sum(anp.sin(x[i] * x[j])) + anp.sum(x ** 4)
    x = rng.uniform(0.1, 1.0, 80)
    sh = ad.sparse_hessian(f)
    np.testing.assert_allclose(sh(x).toarray(), ad.hessian(f)(x), rtol=1e-12, atol=1e-12)
    assert sh.num_colors < 20


def test_recovery_refuses_a_coloring_made_for_another_pattern():
    import scipy.sparse as sp
    from autodiff.sparse import recovery_plan
    band = sp.diags([1, 1, 1], [-1, 0, 1], shape=(8, 8), format="csr", dtype=bool)
    full = sp.csr_matrix(np.ones((8, 8), dtype=bool))
    with pytest.raises(ValueError, match="not made for this pattern"):
        recovery_plan(full, color_hessian(band))


def branchy(x):  # the x[0] * x[-1]**2 coupling exists only where x[0] > 0
    base = anp.sum(x ** 4) + anp.sum(anp.sin(x[:-1] * x[1:]))
    return base + x[0] * x[-1] ** 2 if x[0] > 0 else base


def through_constant(x):  # a constant taken from x: its zeros drop couplings when detected
    c = ad.stop_gradient(x)
    M = np.outer(np.ones_like(c), c)  # (M @ x)_i = c . x couples x_j, x_k where c_j, c_k != 0
    return anp.sum(anp.sin(M @ x)) + anp.sum(x ** 4)


@pytest.mark.parametrize("f,x_first", [
    (branchy, -np.linspace(0.1, 1.0, 8)),
    (through_constant, np.r_[0.0, 0.0, np.linspace(0.1, 1.0, 6)]),
], ids=["branch", "stop_gradient_zero"])
def test_pattern_that_changes_with_x_is_detected_again(f, x_first):
    sh = ad.sparse_hessian(f)
    later = [np.linspace(0.1, 1.0, 8), np.linspace(-0.5, 0.9, 8) ** 2 + 0.1, x_first]
    for x in [x_first] + later:
        np.testing.assert_allclose(sh(x).toarray(), ad.hessian(f)(x), rtol=1e-12, atol=1e-12)
    # detected at the first x and once more where it grew; the union then serves every x
    assert sh.num_detections == 2
    first = ad.hessian_sparsity(f, x_first).toarray()
    assert (sh.pattern.toarray() >= first).all() and (sh.pattern.toarray() != first).any()


def test_verify_false_reuses_the_pattern_unchecked():
    sh = ad.sparse_hessian(rosen, verify=False)
    x = np.random.default_rng(7).uniform(0.1, 1.0, 20)
    sh(x)
    np.testing.assert_allclose(sh(2 * x).toarray(), ad.hessian(rosen)(2 * x), rtol=1e-12)
    assert sh.num_detections == 1 and sh.num_colors == 3


def test_a_given_pattern_that_misses_nonzeros_is_refused():
    x = -np.linspace(0.1, 1.0, 8)
    given = ad.hessian_sparsity(branchy, x)
    sh = ad.sparse_hessian(branchy, sparsity=given)
    sh(x)
    with pytest.raises(ValueError, match=r"pattern given to sparse_hessian lacks nonzeros.*rows 0"):
        sh(-x)
