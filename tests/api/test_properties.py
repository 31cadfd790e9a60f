"""Property tests over random compositions of primitives (hypothesis)."""
import numpy as np
from hypothesis import assume, given, strategies as st

import autodiff as ad
import autodiff.numpy as anp

UNARY = {
    "sin": anp.sin, "tanh": anp.tanh, "square": lambda a: a * a,
    "softplus": lambda a: anp.logaddexp(0.0, a), "exp_small": lambda a: anp.exp(0.3 * a),
    "cumsum": anp.cumsum, "flip": anp.flip, "roll": lambda a: anp.roll(a, 1),
    "sqrt1p": lambda a: anp.sqrt(1.0 + a * a), "sort": anp.sort,
    "outer_sum": lambda a: anp.sum(anp.outer(a, a), axis=0),
    "normalize": lambda a: a / anp.sqrt(anp.sum(a * a) + 1.0),
}
BINARY = {
    "add": anp.add, "mul": anp.multiply, "sub": anp.subtract,
    "div": lambda a, b: a / (1.5 + anp.sin(b)), "hypot": lambda a, b: anp.hypot(a, b + 2.0),
    "matvec": lambda a, b: anp.reshape(anp.outer(a, b) @ anp.cos(b), a.shape),
}

step = st.one_of(
    st.tuples(st.just("u"), st.sampled_from(sorted(UNARY)), st.integers(0, 10)),
    st.tuples(st.just("b"), st.sampled_from(sorted(BINARY)), st.integers(0, 10)),
)


def build(program):
    def f(x):
        values = [x]
        for kind, name, k in program:
            a = values[k % len(values)]
            if kind == "u":
                values.append(UNARY[name](a))
            else:
                values.append(BINARY[name](values[-1], a))
        return values[-1]
    return f


vectors = st.integers(2, 4).flatmap(
    lambda n: st.lists(st.floats(-1.5, 1.5), min_size=n, max_size=n).map(np.array))


@given(st.lists(step, min_size=1, max_size=6), vectors, st.integers(0, 2**31 - 1))
def test_hvp_matches_hessian_and_hessian_is_symmetric(program, x, seed):
    f = build(program)
    w = np.random.default_rng(seed).standard_normal(x.size)
    s = lambda x: anp.sum(w * f(x)) + anp.sum(f(x) ** 2)
    v = np.random.default_rng(seed + 1).standard_normal(x.size)
    H = ad.hessian(s)(x)
    np.testing.assert_allclose(H, H.T, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ad.hvp(s, x, v), H @ v, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ad.jacrev(ad.grad(s))(x), H, rtol=1e-8, atol=1e-8)


@given(st.lists(step, min_size=1, max_size=6), vectors)
def test_jacfwd_equals_jacrev(program, x):
    f = build(program)
    np.testing.assert_allclose(ad.jacfwd(f)(x), ad.jacrev(f)(x), rtol=1e-9, atol=1e-9)


@given(st.lists(step, min_size=1, max_size=4), vectors)
def test_gradient_matches_finite_differences(program, x):
    # sort has kinks where entries tie (also ties made by earlier steps, e.g. cumsum of
    # [1, 0]): finite differences are meaningless there
    assume(all(name != "sort" for _, name, _ in program))
    f = build(program)
    ad.check_grads(lambda x: anp.sum(f(x)), (x,), order=2, rtol=1e-5, atol=1e-5)


matrices = st.integers(2, 4).flatmap(lambda n: st.tuples(
    st.lists(st.floats(-1.0, 1.0), min_size=n * n, max_size=n * n).map(
        lambda v, n=n: np.array(v).reshape(n, n)),
    st.integers(0, 2**31 - 1)))

LINALG = {
    "logdet_cholesky": lambda A: 2.0 * anp.sum(anp.log(anp.diagonal(anp.linalg.cholesky(A)))),
    "slogdet": lambda A: anp.linalg.slogdet(A)[1],
    "inv_trace": lambda A: anp.trace(anp.linalg.inv(A) @ A @ A),
    "solve_quad": lambda A: anp.sum(anp.linalg.solve(A, anp.sum(A, axis=0)) ** 2),
    "frobenius": lambda A: anp.linalg.norm(A @ A.T),
    "softmax_rows": lambda A: anp.sum(anp.exp(A) / anp.sum(anp.exp(A), axis=1, keepdims=True)
                                      * anp.cumsum(A, axis=1)),
}


@given(matrices, st.sampled_from(sorted(LINALG)))
def test_matrix_functions_hvp_hessian_and_symmetry(data, name):
    M, seed = data
    n = M.shape[0]
    A0 = M @ M.T + n * np.eye(n)  # symmetric positive definite: every function is defined
    f = LINALG[name]
    s = lambda a: f(anp.reshape(a, (n, n)))
    x = A0.ravel()
    v = np.random.default_rng(seed).standard_normal(n * n)
    H = ad.hessian(s)(x)
    np.testing.assert_allclose(H, H.T, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ad.hvp(s, x, v), H @ v, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(ad.jacrev(ad.grad(s))(x), H, rtol=1e-8, atol=1e-9)
