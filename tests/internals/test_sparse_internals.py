"""Sparse Hessians from inside: the greedy coloring path, the sparsity-rule catalogue."""
import numpy as np
import pytest

pytest.importorskip("scipy")

import autodiff as ad  # noqa: E402
import autodiff.numpy as anp  # noqa: E402
from autodiff.sparse import color_hessian  # noqa: E402

from colorings import assert_star_coloring  # noqa: E402


@pytest.mark.parametrize("seed", range(4))
def test_greedy_coloring_of_irregular_patterns(seed):
    import scipy.sparse as sp
    from autodiff.sparse.coloring import _periodic_colors
    from autodiff.sparse import seed_matrix, recover
    n = 60
    A = sp.random(n, n, density=0.05, random_state=seed, format="csr").astype(bool)
    A = (A + A.T + sp.eye(n, dtype=bool)).astype(bool).tolil()
    A[0, :] = True  # one dense row and column
    A[:, 0] = True
    A = A.tocsr()
    coloring = color_hessian(A)
    assert _periodic_colors(A, coloring.dense) is None  # the greedy path is the one tested
    assert_star_coloring(A, coloring)
    assert coloring.num_colors < n
    # and the recovery is exact for a random symmetric matrix with that pattern
    M = sp.random(n, n, density=1.0, random_state=seed).toarray()
    H = np.where(A.toarray(), M + M.T, 0.0)
    np.testing.assert_allclose(recover(A, coloring, H @ seed_matrix(coloring)).toarray(), H)


def test_every_primitive_has_a_sparsity_rule():
    from autodiff.core.primitive import REGISTRY
    from autodiff.sparse.detect import RULES
    missing = [n for n, p in REGISTRY.items() if p.builtin and p.sparsity not in RULES]
    assert missing == []


def test_a_sparsity_rule_that_misses_an_interaction_is_an_error(monkeypatch):
    from autodiff.core.primitive import REGISTRY
    monkeypatch.setattr(REGISTRY["sin"], "sparsity", "elementwise-linear")  # a wrong structure
    with pytest.raises(RuntimeError, match="pattern detected at this x lacks nonzeros"):
        ad.sparse_hessian(lambda x: anp.sum(anp.sin(x[1:] + x[:-1])))(np.linspace(0.1, 1.0, 6))
