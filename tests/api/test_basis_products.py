"""The shortcut basis_products (docs/performance.md): jacfwd and hessian mark their chunks of the
identity, and a matrix product with a marked batch gathers or places the other operand's
columns instead of multiplying. It must give the derivatives of the plain product (the same
bits but for the sign of zeros), be applied where it pays, and step aside where it would not be
exact (inf or NaN in the matrix, a dtype the product would change)."""
import concurrent.futures

import numpy as np
import pytest

import autodiff as ad
from autodiff.core import basis
from autodiff.primitives import products

rng = np.random.default_rng(7)
X = rng.standard_normal((40, 5))
y = (rng.random(40) > 0.5) * 1.0
D, HIDDEN = 4, 3
XM = rng.standard_normal((25, D))


def logistic(w):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(w * w)


def mlp(p):  # packed parameters: the marks go through slices and reshapes to X @ W1
    W1 = p[:D * HIDDEN].reshape(D, HIDDEN)
    b1 = p[D * HIDDEN:D * HIDDEN + HIDDEN]
    w2 = p[D * HIDDEN + HIDDEN:D * HIDDEN + 2 * HIDDEN]
    return np.mean((np.tanh(XM @ W1 + b1) @ w2 + p[-1] - 1.0) ** 2)


def left(w):  # the marked operand on the left: w @ A
    return np.sum(np.sin(w @ X.T)) + np.sum(np.cos(w.reshape(1, 5) @ np.ascontiguousarray(X.T)))


def both_sides(W):  # a matrix argument, times matrices on either side
    return np.sum(np.tanh(X @ W)) + np.sum(np.sin(W.T @ X.T)) + np.sum(np.cos(XM.T @ XM @ W[:4]))


def traced_matrix(v):  # the other operand traced too: a product of two dual numbers
    A = np.outer(v, v) + np.eye(5)
    return np.sum(np.sin(A @ v)) + v @ A @ v


CASES = [(logistic, rng.standard_normal(5)), (mlp, rng.standard_normal(D * HIDDEN + 2 * HIDDEN + 1)),
         (left, rng.standard_normal(5)), (both_sides, rng.standard_normal((5, 2))),
         (traced_matrix, rng.standard_normal(5) * 0.3)]


def off(fn, *args, name="basis_products"):
    with ad.shortcuts.disabled(name):
        return fn(*args)


def assert_same(a, b):
    for u, v in zip(ad.pytree.flatten(a)[0], ad.pytree.flatten(b)[0]):
        np.testing.assert_array_equal(u, v)  # (-0.0 == 0.0: the sign of zeros may differ)


def counting(monkeypatch):
    """Count the products the shortcut takes over."""
    taken = []
    for name in ("_times_basis", "_basis_times"):
        rule = getattr(products, name)

        def counted(*args, rule=rule):
            out = rule(*args)
            if out is not products._MULTIPLY:
                taken.append(out)
            return out
        monkeypatch.setattr(products, name, counted)
    return taken


@pytest.mark.parametrize("chunk_size", [None, 1, 3, 7])
@pytest.mark.parametrize("f, x", CASES, ids=[c[0].__name__ for c in CASES])
def test_hessians_are_those_of_the_plain_products(f, x, chunk_size, monkeypatch):
    taken = counting(monkeypatch)
    h = ad.hessian(f, chunk_size=chunk_size)
    assert_same(h(x), off(h, x))
    assert taken  # the shortcut was used (else this test could not fail)


def test_several_inputs_whose_chunks_are_partly_zero(monkeypatch):
    taken = counting(monkeypatch)

    def f(a, B):
        return np.sum(np.tanh(X @ a)) * np.sum(np.sin(XM @ B)) + np.sum(np.cos(a @ X.T @ X[:, :D] @ B))

    a, B = rng.standard_normal(5), rng.standard_normal((D, 2))
    for chunk_size in (None, 2, 6):
        h = ad.hessian(f, argnums=(0, 1), chunk_size=chunk_size)
        assert_same(h(a, B), off(h, a, B))
        j = ad.jacfwd(lambda d: np.sin(X @ d["a"]) @ X[:, :2] @ d["B"].T, chunk_size=chunk_size)
        assert_same(j({"a": a, "B": B}), off(j, {"a": a, "B": B}))
    assert taken


def test_slices_outside_a_chunk_give_zeros_without_zero_slices():
    h = ad.hessian(mlp, chunk_size=4)
    p = CASES[1][1]
    with ad.shortcuts.disabled("zero_slices"):
        assert_same(h(p), off(h, p))


def test_the_product_is_the_gathered_matrix_with_its_signed_zeros():
    """Where the matrix has -0.0 the plain product gives 0.0 (BLAS adds +0.0 products to it):
    the gather keeps the matrix's own bits, the documented difference."""
    A = np.array([[1.0, -0.0], [-0.0, 2.0], [3.0, 4.0]])
    J = ad.jacfwd(lambda w: A @ w)(np.array([0.5, 0.25]))
    np.testing.assert_array_equal(np.signbit(J), np.signbit(A))
    np.testing.assert_array_equal(J, off(ad.jacfwd(lambda w: A @ w), np.array([0.5, 0.25])))


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_a_matrix_with_inf_or_nan_is_multiplied_as_before(bad, monkeypatch):
    """The plain product spreads NaN along a row with inf or NaN (0 * inf): so it stays."""
    taken = counting(monkeypatch)
    A = X.copy()
    A[3, 2] = bad
    with np.errstate(all="ignore"):
        J = ad.jacfwd(lambda w: A @ w)(np.ones(5))
        np.testing.assert_array_equal(J, off(ad.jacfwd(lambda w: A @ w), np.ones(5)))
    assert np.isnan(J[3]).sum() >= 4 and not taken


@pytest.mark.parametrize("A", [X.astype(np.float32), np.arange(200).reshape(40, 5)],
                         ids=["float32", "int"])
def test_a_matrix_the_product_would_cast_is_multiplied(A, monkeypatch):
    taken = counting(monkeypatch)
    h = ad.hessian(lambda w: np.sum(np.sin(A @ w) * 1e-2))
    assert_same(h(np.ones(5)), off(h, np.ones(5)))
    assert not taken


def test_a_matrix_of_python_objects_is_multiplied():
    """An object-dtype matrix (Fractions, say) has no isfinite: the plain product works, so the
    shortcut must step aside rather than fail in its own test for inf and NaN."""
    A = np.arange(12.0).reshape(3, 4).astype(object)
    for fn in (ad.jacfwd(lambda w: A @ w), ad.jacfwd(lambda w: w @ A.T)):
        J = fn(np.ones(4))
        assert J.dtype == object
        assert_same(J, off(fn, np.ones(4)))


def test_complex_holomorphic(monkeypatch):
    taken = counting(monkeypatch)
    Z = X + 1j * rng.standard_normal(X.shape)
    z = rng.standard_normal(5) + 1j * rng.standard_normal(5)
    for A in (Z, X):  # a real matrix times complex tangents: a cast, multiplied
        h = ad.hessian(lambda v: np.sum(np.sin(A @ v) * 0.1), holomorphic=True)
        assert_same(h(z), off(h, z))
        j = ad.jacfwd(lambda v: A @ v, holomorphic=True, chunk_size=2)
        assert_same(j(z), off(j, z))
        assert len(taken) == 4  # Z's products only: one sweep, then three chunks


def test_nested_transforms():
    w = CASES[0][1]
    for fn in (ad.jacfwd(ad.jacfwd(lambda v: np.sin(X @ v))), ad.jacfwd(ad.hessian(logistic)),
               ad.jacrev(ad.jacfwd(lambda v: np.sin(X @ v))),
               ad.hessian(lambda v: np.sum(ad.jacfwd(lambda u: np.sin(X @ u) * v[0])(v)))):
        assert_same(fn(w), off(fn, w))


def test_jit_replays_give_the_unstaged_bits():
    def loss(w, A):
        z = A @ w
        return np.mean(np.logaddexp(0.0, z) - y * z)

    h = ad.hessian(loss)
    staged = ad.jit(h)
    w = CASES[0][1]
    for _ in range(3):
        assert_same(staged(w, X), h(w, X))
        assert_same(staged(w, X), off(h, w, X))
    A = X.copy()
    A[0, 0] = np.inf  # the test for inf is a guard: a new recording, multiplied
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(staged(w, A), h(w, A))
        np.testing.assert_array_equal(staged(w, A), off(h, w, A))
    assert len(staged.programs(w, X)) == 2
    with ad.shortcuts.disabled("basis_products"):  # the switch is part of a recording's key
        assert_same(staged(w, X), h(w, X))


def test_executor_threads_give_the_serial_result():
    h = ad.hessian(mlp, chunk_size=5)
    p = CASES[1][1]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        assert_same(ad.hessian(mlp, chunk_size=5, executor=pool)(p), h(p))


def test_marks_live_for_one_chunk_and_not_at_all_when_off():
    seen = []

    def f(w):
        seen.append(len(basis._known))
        return logistic(w)

    ad.hessian(f)(CASES[0][1])
    assert seen[-1] > 0 and not basis._known
    with ad.shortcuts.disabled("basis_products"):
        ad.hessian(f)(CASES[0][1])
    assert seen[-1] == 0

    def fails(w):
        raise ZeroDivisionError("inside the chunk")
    with pytest.raises(ZeroDivisionError):
        ad.hessian(fails)(CASES[0][1])
    assert not basis._known


@pytest.mark.parametrize("make", [
    lambda A: ad.jacfwd(lambda w: A @ w),
    lambda A: ad.jacfwd(lambda w: w @ A.T),
    lambda A: ad.jacfwd(lambda w: np.dot(A, w)),
    lambda A: ad.hessian(lambda w: 0.5 * w @ (A.T @ A) @ w),
    lambda A: ad.jit(ad.jacfwd(lambda w: A @ w))])
def test_results_never_share_memory_with_the_users_arrays(make):
    """A gathered product is the other operand's columns: the Jacobian handed back must be a
    new array, or writing into it (J *= 2) would write into the user's matrix."""
    A = np.arange(15.0).reshape(5, 3)
    before = A.copy()
    fn = make(A)
    for _ in range(3):  # the recording and replays, under ad.jit
        J = fn(np.ones(3))
        assert not np.shares_memory(J, A)
        J *= 2.0
    assert np.array_equal(A, before)
