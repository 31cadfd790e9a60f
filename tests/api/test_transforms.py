"""The transforms on known closed forms, nesting, pytrees, dtypes and plain NumPy code."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp

rng = np.random.default_rng(0)


def rosenbrock(x):
    return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hessian(x):
    n = x.size
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        H[i, i + 1] += -400 * x[i]
        H[i + 1, i] += -400 * x[i]
        H[i + 1, i + 1] += 200
    return H


def test_quadratic_form():
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)
    f = lambda x: x @ A @ x
    np.testing.assert_allclose(ad.grad(f)(x), (A + A.T) @ x, rtol=1e-12)
    np.testing.assert_allclose(ad.hessian(f)(x), A + A.T, rtol=1e-12)


def test_rosenbrock():
    x = rng.uniform(-1, 1, 6)
    np.testing.assert_allclose(ad.hessian(rosenbrock)(x), rosenbrock_hessian(x), rtol=1e-12)
    v = rng.standard_normal(6)
    np.testing.assert_allclose(ad.hvp(rosenbrock, x, v), rosenbrock_hessian(x) @ v, rtol=1e-12)
    assert np.allclose(ad.grad(rosenbrock)(np.ones(6)), 0)


def test_logistic_regression_hessian():
    m, d, lam = 50, 3, 0.1
    X = rng.standard_normal((m, d))
    y = (rng.uniform(size=m) > 0.5).astype(float)
    w = rng.standard_normal(d)

    def loss(w):  # plain NumPy: differentiable through the dispatch protocols
        z = X @ w
        return np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * lam * np.sum(w ** 2)

    p = 1 / (1 + np.exp(-X @ w))
    H = X.T @ np.diag(p * (1 - p)) @ X / m + lam * np.eye(d)
    g = X.T @ (p - y) / m + lam * w
    np.testing.assert_allclose(ad.grad(loss)(w), g, rtol=1e-10)
    np.testing.assert_allclose(ad.hessian(loss)(w), H, rtol=1e-10)


def test_third_derivatives():
    f = lambda x: anp.sin(x) * x ** 3
    d3 = ad.grad(ad.grad(ad.grad(f)))
    x = 0.7
    exact = -np.cos(x) * x ** 3 - 9 * np.sin(x) * x ** 2 + 18 * np.cos(x) * x + 6 * np.sin(x)
    assert np.isclose(d3(x), exact, rtol=1e-12)
    # the same through forward-over-reverse twice and reverse-over-forward
    assert np.isclose(ad.jacfwd(ad.jacfwd(ad.grad(f)))(x), exact, rtol=1e-12)
    assert np.isclose(ad.grad(lambda x: ad.jvp(ad.grad(f), (x,), (1.0,))[1])(x), exact, rtol=1e-12)


def test_perturbation_confusion():
    # d/dx [x * d/dy (x + y)] = 1, not 2
    assert ad.grad(lambda x: x * ad.grad(lambda y: x + y)(1.0))(2.0) == 1.0
    # d/dx [x * d/dy (x * y)] = 2x
    assert ad.grad(lambda x: x * ad.grad(lambda y: x * y)(4.0))(2.0) == 4.0
    # the same with forward mode at either level
    d = lambda f, x: ad.jvp(f, (x,), (1.0,))[1]
    assert d(lambda x: x * d(lambda y: x + y, 1.0), 2.0) == 1.0
    assert d(lambda x: x * ad.grad(lambda y: x * y)(4.0), 2.0) == 4.0
    assert ad.grad(lambda x: x * d(lambda y: x * y, 4.0))(2.0) == 4.0


def test_hvp_of_closure_over_outer_traced_value():
    # d/da of <hvp(x -> a * sum(x^3), x, v), 1> = sum(6 x v)
    x, v = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    g = ad.grad(lambda a: anp.sum(ad.hvp(lambda x: a * anp.sum(x ** 3), x, v)))(3.0)
    assert np.isclose(g, np.sum(6 * x * v))


def test_hessian_of_function_calling_grad():
    f = lambda x: anp.sum(ad.grad(lambda y: anp.sum(anp.sin(y) * y))(x) ** 2)
    x = np.array([0.3, -0.8])
    H = ad.hessian(f)(x)
    eps = 1e-6
    fd = np.stack([(ad.grad(f)(x + eps * e) - ad.grad(f)(x - eps * e)) / (2 * eps)
                   for e in np.eye(2)], 1)
    np.testing.assert_allclose(H, fd, rtol=1e-6)
    np.testing.assert_allclose(ad.jacfwd(ad.jacrev(f))(x), H, rtol=1e-12)


def test_jacobian_shapes():
    f = lambda x: anp.outer(x, x)  # (3,) -> (3, 3)
    x = rng.standard_normal(3)
    J = ad.jacfwd(f)(x)
    assert J.shape == (3, 3, 3)
    np.testing.assert_allclose(J, ad.jacrev(f)(x))
    expected = np.einsum("ik,j->ijk", np.eye(3), x) + np.einsum("i,jk->ijk", x, np.eye(3))
    np.testing.assert_allclose(J, expected)
    X = rng.standard_normal((2, 3))
    assert ad.hessian(lambda X: anp.sum(X ** 3))(X).shape == (2, 3, 2, 3)


def test_argnums_and_blocks():
    f = lambda x, y: anp.sum(x ** 2 * y) + anp.sum(y ** 3)
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    gx, gy = ad.grad(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, 2 * x * y)
    np.testing.assert_allclose(gy, x ** 2 + 3 * y ** 2)
    np.testing.assert_allclose(ad.grad(f, argnums=1)(x, y), gy)
    (hxx, hxy), (hyx, hyy) = ad.hessian(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(hxx, np.diag(2 * y))
    np.testing.assert_allclose(hxy, np.diag(2 * x))
    np.testing.assert_allclose(hyx, np.diag(2 * x))
    np.testing.assert_allclose(hyy, np.diag(6 * y))


def test_pytrees():
    params = {"w": np.array([1.0, -2.0]), "b": 0.5, "layers": [np.ones((2, 2)), (3.0,)]}

    def f(p):
        return anp.sum(p["w"] ** 2) * p["b"] + anp.sum(p["layers"][0]) * p["layers"][1][0]

    g = ad.grad(f)(params)
    assert set(g) == {"w", "b", "layers"}
    np.testing.assert_allclose(g["w"], 2 * params["w"] * 0.5)
    assert np.isclose(g["b"], 5.0)
    np.testing.assert_allclose(g["layers"][0], 3.0 * np.ones((2, 2)))
    assert np.isclose(g["layers"][1][0], 4.0)
    v = ad.tree_map(np.ones_like, params)
    hv = ad.hvp(f, params, v)
    assert np.isclose(hv["b"], 2 * np.sum(params["w"]))
    H = ad.hessian(f)(params)
    np.testing.assert_allclose(H["w"]["w"], np.eye(2) * 2 * 0.5)
    np.testing.assert_allclose(H["w"]["b"], 2 * params["w"])
    out, vjp_fn = ad.vjp(lambda p: {"a": p["w"] * 2, "b": p["b"]}, params)
    (ct,) = vjp_fn({"a": np.ones(2), "b": 1.0})
    np.testing.assert_allclose(ct["w"], [2.0, 2.0])
    assert ct["layers"][0].shape == (2, 2) and not ct["layers"][0].any()


def test_value_and_grad_has_aux():
    f = lambda x: (anp.sum(x ** 2), {"norm": anp.sqrt(anp.sum(x ** 2))})
    (value, aux), g = ad.value_and_grad(f, has_aux=True)(np.array([3.0, 4.0]))
    assert value == 25.0 and np.isclose(aux["norm"], 5.0)
    assert isinstance(aux["norm"], np.floating) or isinstance(aux["norm"], np.ndarray)
    np.testing.assert_allclose(g, [6.0, 8.0])
    g2, aux2 = ad.grad(f, has_aux=True)(np.array([3.0, 4.0]))
    np.testing.assert_allclose(g2, g)


def test_jvp_and_vjp_api():
    f = lambda x, y: (anp.sin(x) * y, x + y)
    x, y = np.array([0.1, 0.2]), np.array([1.0, 2.0])
    out, tout = ad.jvp(f, (x, y), (np.ones(2), np.zeros(2)))
    np.testing.assert_allclose(tout[0], np.cos(x) * y)
    np.testing.assert_allclose(tout[1], np.ones(2))
    out, vjp_fn = ad.vjp(f, x, y)
    cx, cy = vjp_fn((np.ones(2), np.ones(2)))
    np.testing.assert_allclose(cx, np.cos(x) * y + 1)
    np.testing.assert_allclose(cy, np.sin(x) + 1)
    cx2, _ = vjp_fn((np.ones(2), np.ones(2)))  # the tape is reusable
    np.testing.assert_allclose(cx2, cx)


def test_constant_output_and_unused_input():
    assert ad.grad(lambda x: 3.0)(1.0) == 0.0
    np.testing.assert_allclose(ad.hessian(lambda x, y: anp.sum(y ** 2))(np.ones(2), 1.0),
                               np.zeros((2, 2)))


def test_dtypes():
    g = ad.grad(lambda x: x * x)(3)  # ints are differentiated as float64
    assert g == 6.0 and np.result_type(g) == np.float64
    x32 = np.array([1.0, 2.0], dtype=np.float32)
    g32 = ad.grad(lambda x: anp.sum(anp.sin(x) * x))(x32)
    assert g32.dtype == np.float32
    assert ad.hessian(lambda x: anp.sum(x ** 3))(x32).dtype == np.float32
    assert ad.grad(lambda x: anp.sum(x ** 2))(np.array([1, 2])).dtype == np.float64


def test_plain_numpy_code():
    X = rng.standard_normal((5, 3))
    w = rng.standard_normal(3)
    f_np = lambda w: np.sum(np.tanh(X @ w) ** 2) + np.max(w) + np.linalg.norm(w) + w.T @ w
    g = ad.grad(f_np)(w)
    eps = 1e-6
    fd = np.array([(f_np(w + eps * e) - f_np(w - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    ad.check_grads(lambda w: np.stack([np.cumsum(w), np.exp(w)[::-1]]).mean(axis=0), (w,))
    ad.check_grads(lambda w: np.concatenate([w[:, None] * w, np.outer(w, w)]).sum(0), (w,))


def test_methods_and_operators():
    def f(x):
        y = x.reshape(2, 2).T
        z = (y @ y).sum(axis=0) + abs(-x[:2]) - x[2:] / 2.0 + 2.0 ** x[:2] + x[:2] % 0.7
        return (z ** 2).mean() + x.max() - x.min() + len(x) * x.var() + sum(x) + x.dot(x)
    ad.check_grads(f, (np.array([0.3, -0.4, 0.9, 1.1]),))


def test_deep_chain_is_iterative():
    def chain(x):
        for _ in range(1_000_000):
            x = x + 1e-6 * x
        return x
    g = ad.grad(chain)(1.0)
    assert np.isclose(g, (1 + 1e-6) ** 1_000_000)


def test_deferred_tangents_are_forced_iteratively():
    # Under grad, the tangents of recorded values are deferred until read; the value's tangent
    # at the end of a long chain is read only at the end and must be computed without recursion.
    def chain(x):
        for _ in range(100_000):
            x = x + 1e-5 * x
        return x
    (value, slope), (dvalue, dslope) = ad.jvp(ad.value_and_grad(chain), (1.0,), (2.0,))
    assert np.isclose(value, (1 + 1e-5) ** 100_000) and np.isclose(slope, value)
    assert np.isclose(dvalue, 2.0 * slope) and dslope == 0.0


def test_threads_take_gradients_independently():
    results, errors = {}, []

    def work(k):
        try:
            x = np.full(50, float(k))
            for _ in range(20):
                results[k] = ad.grad(lambda x: anp.sum(x ** 3) * k)(x)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for k in range(1, 5):
        np.testing.assert_allclose(results[k], 3 * k * np.full(50, float(k)) ** 2)


def test_against_autograd():
    autograd = pytest.importorskip("autograd")
    agnp = pytest.importorskip("autograd.numpy")
    X = rng.standard_normal((20, 4))
    W1, w2 = rng.standard_normal((4, 5)), rng.standard_normal(5)

    def mlp(np_):
        def loss(W1):
            h = np_.tanh(X @ W1)
            return np_.mean((h @ w2 - np_.sin(X[:, 0])) ** 2) + 0.01 * np_.sum(W1 ** 2)
        return loss
    ours, theirs = mlp(np), mlp(agnp)
    np.testing.assert_allclose(ad.grad(ours)(W1), autograd.grad(theirs)(W1), rtol=1e-8)
    V = rng.standard_normal(W1.shape)
    their_hvp = autograd.grad(lambda W: agnp.sum(autograd.grad(theirs)(W) * V))(W1)
    np.testing.assert_allclose(ad.hvp(ours, W1, V), their_hvp, rtol=1e-8)
    np.testing.assert_allclose(ad.hessian(ours)(W1), autograd.hessian(theirs)(W1), rtol=1e-8)


def test_cotangents_accumulate_in_place_without_aliasing():
    # Many slices and repeated uses of one value: the sweep adds slice cotangents into one
    # buffer in place; results must equal an independent computation.
    autograd = pytest.importorskip("autograd")
    agnp = pytest.importorskip("autograd.numpy")

    def f(np_):
        def loss(x):
            a = x[1:] + x[:-1]
            b = a + a
            c = b[::2] * x[:b[::2].shape[0]] + x[np.array([0, 0, 3])].sum()
            return np_.sum(c ** 2) + np_.sum(x[2:5] * b[:3]) + np_.sum(a[-2:])
        return loss
    x = rng.standard_normal(9)
    np.testing.assert_allclose(ad.grad(f(np))(x), autograd.grad(f(agnp))(x), rtol=1e-12)
    _, vjp_fn = ad.vjp(f(np), x)
    first = vjp_fn(1.0)[0].copy()
    np.testing.assert_allclose(vjp_fn(1.0)[0], first)  # the tape is reusable: nothing mutated
    g = ad.viz.graph(f(np), x, grads=True)  # keep_all sweeps (pictures) never add in place
    inputs = [n for n in g.model.nodes.values() if n.kind == "input"]
    np.testing.assert_allclose(inputs[0].grad, first, rtol=1e-12)


def test_hessian_of_packed_parameters_skips_zero_blocks_exactly():
    # Parameters packed in one vector and sliced apart (as the MLP benchmark does): a chunk of
    # identity directions that misses a slice makes that slice's tangent a symbolic zero,
    # deferred tangents included; the Hessian must not change.
    autograd = pytest.importorskip("autograd")
    agnp = pytest.importorskip("autograd.numpy")
    X, y = rng.standard_normal((7, 3)), rng.standard_normal(7)

    def f(np_):
        def loss(p):
            W, b, w2 = p[:6].reshape(3, 2), p[6:8], p[8:10]
            pred = np_.tanh(X @ W + b) @ w2 + p[-1]
            return np_.mean((pred - y) ** 2) + 0.1 * np_.sum(p[6:8] ** 2)
        return loss
    p = rng.standard_normal(11)
    H = autograd.hessian(f(agnp))(p)
    for chunk in (None, 1, 2, 4, 7):
        np.testing.assert_allclose(ad.hessian(f(np), chunk_size=chunk)(p), H, rtol=1e-10,
                                   atol=1e-14)
    np.testing.assert_allclose(ad.jacfwd(ad.grad(f(np)), chunk_size=3)(p), H, rtol=1e-10,
                               atol=1e-14)


def test_dual_cotangents_accumulate_in_place_without_aliasing():
    # The same for forward-over-reverse: dual cotangents (HVPs; batched for Hessians) scattered
    # into one buffer by slices, repeated and separated advanced indexes, and reused recordings.
    autograd = pytest.importorskip("autograd")
    agnp = pytest.importorskip("autograd.numpy")

    def f(np_):
        def loss(x):
            a = x[1:, ::-1] * x[:-1, :]
            b = x[np.array([0, 2, 0]), :, np.array([1, 0, 1])] ** 2
            c = np_.sum(a * a) + np_.sum(b * x[0, :, 0]) + np_.sum(np_.sin(x[:, 1:]) * a[0, 0])
            return c + np_.sum(x[2] ** 3) + np_.sum(x[-1, -1] * x)
        return loss
    x = rng.standard_normal((3, 4, 2))
    v = rng.standard_normal(x.shape)
    H = autograd.hessian(f(agnp))(x).reshape(x.size, x.size)
    np.testing.assert_allclose(ad.hvp(f(np), x, v), (H @ v.ravel()).reshape(x.shape), rtol=1e-10)
    for chunk in (None, 5):
        np.testing.assert_allclose(ad.hessian(f(np), chunk_size=chunk)(x).reshape(H.shape), H,
                                   rtol=1e-10)
    hv = ad.hvp_fn(f(np), x)
    first = hv(v).copy()
    np.testing.assert_allclose(hv(v), first)
    np.testing.assert_allclose(first, (H @ v.ravel()).reshape(x.shape), rtol=1e-10)
    # third order: the Hessian's own derivative along v, against autograd
    third = ad.jvp(ad.hessian(f(np)), (x,), (v,))[1].reshape(H.shape)
    their = autograd.jacobian(lambda y: autograd.hessian(f(agnp))(y).reshape(H.shape))(x)
    np.testing.assert_allclose(third, their.reshape(H.shape + (-1,)) @ v.ravel(), rtol=1e-9)


def test_jacobians_and_hessian_with_aux():
    f = lambda x: (anp.sin(x) * x, {"norm": anp.sum(x ** 2)})
    x = np.array([0.3, -1.2])
    for jac in (ad.jacfwd, ad.jacrev):
        J, aux = jac(f, has_aux=True)(x)
        np.testing.assert_allclose(J, np.diag(np.cos(x) * x + np.sin(x)))
        assert np.isclose(aux["norm"], np.sum(x ** 2)) and not isinstance(aux["norm"], ad.core.tracer.Tracer)
    H, aux = ad.hessian(lambda x: (anp.sum(x ** 3), x * 2.0), has_aux=True)(x)
    np.testing.assert_allclose(H, np.diag(6 * x))
    np.testing.assert_allclose(aux, 2 * x)
    with pytest.raises(TypeError, match="pair"):
        ad.jacfwd(lambda x: x, has_aux=True)(x)


@pytest.mark.parametrize("f,args,argnums", [
    (lambda x: x[:0], (np.ones(3),), 0),  # no outputs
    (lambda x: (anp.sin(x), {"a": x[0] * x[1], "b": anp.ones(2)}), (np.arange(3.0),), 0),
    (lambda d: d["u"] * anp.sum(d["v"]), ({"u": np.arange(3.0), "v": np.ones((2, 2))},), 0),
    (lambda x, y: anp.outer(x, anp.ravel(y)), (np.arange(3.0), np.ones((2, 2))), (0, 1)),
    (lambda x: 3.0, (np.ones(3),), 0),  # a constant
    (lambda x: anp.sum(x ** 3).reshape(1, 1), (np.arange(3.0),), 0),  # one output, not 0-d
])
def test_jacrev_matches_jacfwd_on_pytrees_and_edge_shapes(f, args, argnums):
    from autodiff.pytree import flatten
    (rev, rev_td), (fwd, fwd_td) = (flatten(jac(f, argnums=argnums)(*args))
                                    for jac in (ad.jacrev, ad.jacfwd))
    assert rev_td == fwd_td
    for a, b in zip(rev, fwd):
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, atol=1e-12)


ALLOCATOR_CHECK = """
import platform
import numpy as np
import autodiff as ad
import autodiff.numpy as anp
applied = ad.tune_allocator()
assert isinstance(applied, bool)
if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
    assert applied
np.testing.assert_allclose(ad.hvp(lambda x: anp.sum(x ** 3), np.ones(3), np.ones(3)), 6.0)
"""


def test_tune_allocator_is_harmless():
    # In a process of its own: mallopt has no getter, and setting the mmap threshold turns off
    # glibc's dynamic threshold for good, so this process's allocator could not be put back.
    root = os.path.dirname(os.path.dirname(os.path.abspath(ad.__file__)))
    paths = [root] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    result = subprocess.run([sys.executable, "-c", ALLOCATOR_CHECK], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def test_svd_pinv_and_matrix_norms_match_numpy_in_plain_numpy_code():
    A = rng.standard_normal((4, 3))
    u, s, vh = np.linalg.svd(A, full_matrices=False)
    f = lambda a: np.linalg.svd(a, full_matrices=False)  # plain NumPy code, dispatched
    np.testing.assert_allclose(ad.jacfwd(lambda a: f(a)[1])(A), ad.jacrev(lambda a: f(a)[1])(A),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ad.grad(lambda a: np.sum(np.linalg.svd(a, compute_uv=False)))(A),
                               u @ vh, rtol=1e-12)  # d(nuclear norm)/dA = U V^T
    np.testing.assert_allclose(ad.grad(lambda a: np.linalg.norm(a, 2))(A),
                               np.outer(u[:, 0], vh[0]), rtol=1e-12)
    np.testing.assert_allclose(ad.grad(lambda a: np.linalg.norm(a, "nuc"))(A), u @ vh, rtol=1e-12)
    P = ad.jacfwd(np.linalg.pinv)(A)
    eps = 1e-6
    E = np.zeros_like(A)
    E[1, 2] = eps
    fd = (np.linalg.pinv(A + E) - np.linalg.pinv(A - E)) / (2 * eps)
    np.testing.assert_allclose(P[..., 1, 2], fd, rtol=1e-6, atol=1e-9)
    # a rank-deficient matrix: pinv agrees with NumPy (the dropped singular value stays dropped)
    B = np.outer(rng.standard_normal(4), rng.standard_normal(3))
    np.testing.assert_allclose(ad.jvp(np.linalg.pinv, (B,), (B,))[0], np.linalg.pinv(B),
                               atol=1e-12)
    square = rng.standard_normal((3, 3))
    np.testing.assert_allclose(ad.jvp(lambda a: np.linalg.svd(a)[1], (square,), (square,))[1],
                               np.linalg.svd(square)[1], rtol=1e-10)  # d s along a = s
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        ad.grad(lambda a: np.sum(np.linalg.svd(a)[0]))(A)


@pytest.mark.parametrize("shape_b", [(5,), (5, 2)])
def test_lstsq_matrix_power_multi_dot_agree_with_numpy(shape_b):
    A, b = rng.standard_normal((5, 3)), rng.standard_normal(shape_b)
    for ours, theirs in zip(anp.linalg.lstsq(A, b), np.linalg.lstsq(A, b, rcond=None)):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)
    wide = rng.standard_normal((2, 5))  # underdetermined: minimum norm, no residuals
    for ours, theirs in zip(anp.linalg.lstsq(wide, b[:2]), np.linalg.lstsq(wide, b[:2], rcond=None)):
        np.testing.assert_allclose(ours, theirs, atol=1e-12)
    M = rng.standard_normal((3, 3))
    for n in (0, 1, 2, 5, -2):
        np.testing.assert_allclose(anp.linalg.matrix_power(M, n), np.linalg.matrix_power(M, n),
                                   rtol=1e-10)
    v = rng.standard_normal(3)
    np.testing.assert_allclose(anp.linalg.multi_dot([v, M, M.T, v]),
                               np.linalg.multi_dot([v, M, M.T, v]))


def test_compact_cotangents_of_sums_reach_users_full_and_writable():
    # A sum's VJP leaves its cotangent uniform (unit axes) and elementwise rules keep it so;
    # every gradient, HVP and Jacobian handed back still has the input's shape and is writable.
    x = rng.standard_normal((3, 4))
    g = ad.grad(anp.sum)(x)
    assert g.shape == x.shape and g.flags.writeable
    g[0, 0] = 7.0  # a fresh array, not a broadcast view
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(x) * 2.0 + 1.0)(x), np.full(x.shape, 2.0))
    np.testing.assert_allclose(ad.grad(lambda x: anp.mean(x, axis=0).sum())(x),
                               np.full(x.shape, 1 / 3))
    np.testing.assert_allclose(ad.grad(lambda x: anp.sum(anp.sum(x, axis=1, keepdims=True) * x))(x),
                               np.broadcast_to(2 * x.sum(1, keepdims=True), x.shape))
    v = rng.standard_normal(x.shape)
    hv = ad.hvp(lambda x: anp.sum(x) * anp.sum(x), x, v)
    assert hv.shape == x.shape
    np.testing.assert_allclose(hv, np.full(x.shape, 2 * v.sum()))
    np.testing.assert_allclose(ad.hessian(lambda x: anp.sum(x) ** 2)(x[0]), np.full((4, 4), 2.0))
    np.testing.assert_allclose(ad.jacrev(lambda x: anp.sum(x, axis=0) * 3.0)(x),
                               ad.jacfwd(lambda x: anp.sum(x, axis=0) * 3.0)(x))
    _, vjp_fn = ad.vjp(lambda x: anp.sum(x, axis=1) - 1.0, x)
    np.testing.assert_allclose(vjp_fn(np.arange(3.0))[0], np.repeat(np.arange(3.0)[:, None], 4, 1))
    # mixed with slices and reshapes (non-elementwise rules get the full shape)
    f = lambda x: anp.sum(anp.reshape(x, (12,))[2:] * 2.0) + anp.sum(x[:, 1:] ** 2)
    expected = np.zeros(x.shape)
    expected.reshape(12)[2:] += 2.0
    expected[:, 1:] += 2 * x[:, 1:]
    np.testing.assert_allclose(ad.grad(f)(x), expected)


def test_tape_keeps_only_what_the_sweep_reads():
    import tracemalloc
    x = rng.standard_normal(100_000)  # 0.8 MB per array

    def f(x):
        for _ in range(40):
            x = (x + 1.0) * 0.5  # linear: the sweep needs none of these 80 arrays
        return anp.sum(anp.sin(x))
    y = x.copy()
    for _ in range(40):
        y = (y + 1.0) * 0.5

    def peak_mb(fn):
        tracemalloc.start()
        try:
            result = fn()
            return result, tracemalloc.get_traced_memory()[1] / 2 ** 20
        finally:
            tracemalloc.stop()
    g, peak = peak_mb(lambda: ad.grad(f)(x))
    np.testing.assert_allclose(g, np.cos(y) * 0.5 ** 40)
    assert peak < 8, peak  # keeping every value would take ~65 MB
    # forward-over-reverse too: deferred tangents hold only what their rules read, and f's
    # value (the end of their chain) is let go before the sweep
    hv, peak = peak_mb(lambda: ad.hvp(f, x, np.ones_like(x)))
    np.testing.assert_allclose(hv, -np.sin(y) * 0.5 ** 80)
    assert peak < 12, peak


def test_batched_jvp_and_hvp_push_k_directions_through_one_pass():
    x = rng.uniform(-1, 1, 6)
    V = rng.standard_normal((4, 6))
    f = lambda x: anp.sin(x) * anp.sum(x ** 2)
    out, T = ad.jvp(f, (x,), (V,), batched=True)
    np.testing.assert_allclose(out, f(x))
    np.testing.assert_allclose(T, np.stack([ad.jvp(f, (x,), (v,))[1] for v in V]), rtol=1e-12)
    np.testing.assert_allclose(ad.hvp(rosenbrock, x, V, batched=True),
                               V @ rosenbrock_hessian(x), rtol=1e-12)  # H symmetric: (H V^T)^T
    # pytrees: every leaf carries the same batch axis; constant outputs get zeros with it
    params = {"w": x, "b": np.ones(2)}
    directions = {"w": V, "b": rng.standard_normal((4, 2))}
    g = lambda p: (anp.sum(p["w"] ** 2) * p["b"], 3.0)
    (_, const), (tangent, zero) = ad.jvp(g, (params,), (directions,), batched=True)
    np.testing.assert_allclose(tangent, [2 * x @ v * np.ones(2) + np.sum(x ** 2) * d
                                         for v, d in zip(V, directions["b"])])
    assert np.shape(zero) == (4,) and not np.any(zero)
    with pytest.raises(ValueError, match="one leading batch axis"):
        ad.jvp(g, (params,), ({"w": V, "b": np.ones((3, 2))},), batched=True)
    with pytest.raises(ValueError, match="one leading batch axis"):
        ad.hvp(rosenbrock, x, x, batched=True)
