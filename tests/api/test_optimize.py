"""ad.optimize: Newton, Hessian-free and quasi-Newton minimization, scipy wiring, GGN products."""
import numpy as np
import pytest

scipy_optimize = pytest.importorskip("scipy.optimize")

import autodiff as ad  # noqa: E402
import autodiff.numpy as anp  # noqa: E402
from autodiff.optimize import minimize, scipy_objective  # noqa: E402


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_objective_matches_scipy_closed_forms():
    x = np.array([-1.2, 1.0, 0.7, 1.3])
    obj = scipy_objective(rosen, x)
    p = np.array([0.3, -1.0, 2.0, 0.5])
    assert obj.fun(x) == pytest.approx(scipy_optimize.rosen(x), rel=1e-14)
    np.testing.assert_allclose(obj.jac(x), scipy_optimize.rosen_der(x), rtol=1e-13)
    np.testing.assert_allclose(obj.hess(x), scipy_optimize.rosen_hess(x), rtol=1e-13)
    np.testing.assert_allclose(obj.hessp(x, p), scipy_optimize.rosen_hess_prod(x, p), rtol=1e-13)


def test_objective_shares_one_pass_per_iterate():
    obj = scipy_objective(rosen, np.zeros(3))
    x = np.array([0.5, 0.2, -0.1])
    obj.fun(x)
    obj.jac(x)
    obj.fun(x.copy())
    assert obj.nfev == 1
    obj.jac(x + 1)
    assert obj.nfev == 2
    obj.hessp(x, np.ones(3))
    obj.hessp(x, np.arange(3.0))
    assert obj.nhvp == 2


@pytest.mark.parametrize("method", ["newton", "newton-cg", "trust-ncg", "trust-krylov",
                                    "trust-exact", "bfgs", "l-bfgs-b"])
def test_rosenbrock_all_methods_agree_with_scipy(method):
    x0 = np.array([-1.2, 1.0, -0.5])  # n = 3: the only minimum is at ones
    ours = minimize(rosen, x0, method=method, tol=1e-10 if method != "newton" else None)
    assert ours.success, ours.message
    np.testing.assert_allclose(ours.x, np.ones(3), atol=1e-4)
    if method != "newton":
        kwargs = dict(jac=scipy_optimize.rosen_der)
        if method in ("newton-cg", "trust-ncg", "trust-krylov"):
            kwargs["hessp"] = scipy_optimize.rosen_hess_prod
        if method == "trust-exact":
            kwargs["hess"] = scipy_optimize.rosen_hess
        theirs = scipy_optimize.minimize(scipy_optimize.rosen, x0, method=method, tol=1e-10,
                                         **kwargs)
        assert ours.nit == theirs.nit
        np.testing.assert_allclose(ours.x, theirs.x, rtol=1e-8, atol=1e-10)


def test_newton_solves_a_quadratic_in_one_step():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((5, 5))
    A, b = M @ M.T + 5 * np.eye(5), rng.standard_normal(5)
    res = minimize(lambda x: 0.5 * x @ A @ x - b @ x, np.zeros(5), method="newton")
    assert res.success and res.nit == 1
    np.testing.assert_allclose(res.x, np.linalg.solve(A, b), rtol=1e-10)


def test_newton_keeps_descending_where_the_hessian_is_indefinite():
    f = lambda p: p[0] ** 4 - p[0] ** 2 + p[1] ** 2  # H = diag(12x^2 - 2, 2): indefinite at 0.1
    x0 = np.array([0.1, 0.5])
    assert np.linalg.eigvalsh(ad.hessian(f)(x0))[0] < 0
    res = minimize(f, x0, method="newton")
    assert res.success
    np.testing.assert_allclose(np.abs(res.x), [np.sqrt(0.5), 0.0], atol=1e-8)
    assert res.fun == pytest.approx(-0.25)


def test_pytree_parameters():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((100, 3))
    y = (X @ np.array([1.0, -1.0, 0.5]) + 0.2 > 0).astype(float)

    def loss(p):
        z = X @ p["w"] + p["b"]
        return anp.mean(anp.logaddexp(0.0, z) - y * z) + 0.05 * anp.sum(p["w"] ** 2)
    p0 = {"w": np.zeros(3), "b": 0.0}
    results = {m: minimize(loss, p0, method=m) for m in ("newton", "trust-ncg", "bfgs")}
    for m, res in results.items():
        assert set(res.x) == {"w", "b"} and res.x["w"].shape == (3,)
        assert np.linalg.norm(res.jac["w"]) < 1e-5, m
    np.testing.assert_allclose(results["newton"].x["w"], results["trust-ncg"].x["w"], atol=1e-6)
    np.testing.assert_allclose(results["newton"].x["w"], results["bfgs"].x["w"], atol=1e-3)
    assert results["newton"].nit < results["bfgs"].nit


def test_unknown_method():
    with pytest.raises(ValueError, match="unknown method 'foo'"):
        minimize(rosen, np.zeros(2), method="foo")


def test_ggnvp_equals_explicit_gauss_newton():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((6, 3))
    labels = np.eye(4)[rng.integers(0, 4, 6)]
    model = lambda W: anp.tanh(X @ W)  # (6, 4) outputs

    def loss(out):  # softmax cross-entropy: convex in the outputs
        z = out - anp.max(out, axis=1, keepdims=True)
        return -anp.sum(labels * (z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))))
    W, V = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    J = ad.jacfwd(model)(W).reshape(24, 12)
    HL = ad.hessian(loss)(model(W)).reshape(24, 24)
    expected = (J.T @ HL @ J @ V.ravel()).reshape(3, 4)
    np.testing.assert_allclose(ad.ggnvp(model, loss, W, V), expected, rtol=1e-10)
    G = J.T @ HL @ J
    assert np.linalg.eigvalsh(G).min() > -1e-10  # positive semi-definite


def test_newton_stops_at_rounding_level_on_badly_scaled_problems():
    f = lambda x: 1e10 * anp.sum((x - 1.0 / 3.0) ** 2) + anp.sum(anp.exp(x))
    res = minimize(f, np.zeros(50), method="newton", options={"gtol": 1e-14})
    assert res.success and res.nit < 20, res.message
    np.testing.assert_allclose(res.x, 1.0 / 3.0, atol=1e-9)


ALL_METHODS = ["newton", "newton-cg", "trust-ncg", "trust-krylov", "trust-exact", "dogleg",
               "trust-constr", "bfgs", "l-bfgs-b", "cg", "slsqp", "tnc"]


@pytest.mark.parametrize("method", ALL_METHODS)
def test_a_misspelt_option_is_named_with_the_valid_ones(method):
    with pytest.raises(ValueError, match=r"dsip.*valid options: .*disp"):
        minimize(rosen, np.zeros(3), method=method, options={"dsip": True})


@pytest.mark.parametrize("method", ALL_METHODS)
def test_disp_and_callback_work_for_every_method(method, capfd):
    convex = lambda p: anp.sum((p["x"] - 1.0) ** 2) + anp.sum(p["x"] ** 4)  # for dogleg
    seen = []
    res = minimize(convex, {"x": np.array([-1.2, 1.0, -0.5])}, method=method,
                   options={"disp": True}, callback=seen.append)
    assert res.success, res.message
    assert seen and all(set(x) == {"x"} and x["x"].shape == (3,) for x in seen)
    out, err = capfd.readouterr()
    assert (out + err).strip()  # something was displayed (tnc prints from C)


def test_unknown_method_lists_every_method():
    with pytest.raises(ValueError, match="newton, newton-cg, .*trust-constr.*slsqp, tnc"):
        minimize(rosen, np.zeros(2), method="foo")


def test_options_must_be_a_dict():
    with pytest.raises(TypeError, match="options must be a dict"):
        minimize(rosen, np.zeros(2), options=[("disp", True)])


@pytest.mark.parametrize("method", ["l-bfgs-b", "slsqp", "tnc", "trust-constr"])
def test_bounds_reach_scipy(method):
    bounds = [(-1.0, 0.5)] * 3
    ours = minimize(rosen, np.zeros(3), method=method, bounds=bounds)
    theirs = scipy_optimize.minimize(scipy_optimize.rosen, np.zeros(3), method=method,
                                     jac=scipy_optimize.rosen_der, bounds=bounds)
    assert ours.success and np.all(ours.x <= 0.5 + 1e-8)  # the minimum (ones) is cut off
    np.testing.assert_allclose(ours.x, theirs.x, atol=1e-4)


@pytest.mark.parametrize("method", ["slsqp", "trust-constr"])
def test_constraints_on_pytrees_get_exact_jacobians(method):
    f = lambda p: (p["a"] - 2.0) ** 2 + anp.sum((p["b"] - 1.0) ** 2)
    on_sphere = {"type": "eq", "fun": lambda p: p["a"] ** 2 + anp.sum(p["b"] ** 2) - 1.0}
    res = minimize(f, {"a": 0.5, "b": np.array([0.1, 0.2])}, method=method,
                   constraints=[on_sphere])
    assert res.success, res.message
    np.testing.assert_allclose(res.x["a"], 2 / np.sqrt(6), atol=1e-6)
    np.testing.assert_allclose(res.x["b"], 1 / np.sqrt(6), atol=1e-6)


def test_nonlinear_constraint_on_pytrees():
    f = lambda p: (p["a"] - 2.0) ** 2 + anp.sum((p["b"] - 1.0) ** 2)
    ball = scipy_optimize.NonlinearConstraint(lambda p: p["a"] ** 2 + anp.sum(p["b"] ** 2),
                                              0.0, 1.0)
    res = minimize(f, {"a": 0.5, "b": np.array([0.1, 0.2])}, method="trust-constr",
                   constraints=ball)
    np.testing.assert_allclose(res.x["b"], 1 / np.sqrt(6), atol=1e-5)


@pytest.mark.parametrize("method,kwargs", [("newton", dict(bounds=[(0, 1)] * 2)),
                                           ("bfgs", dict(bounds=[(0, 1)] * 2)),
                                           ("l-bfgs-b", dict(constraints=[{"type": "eq",
                                                             "fun": lambda x: x[0]}]))])
def test_bounds_or_constraints_a_method_would_ignore_are_refused(method, kwargs):
    with pytest.raises(ValueError, match="does not take (bounds|constraints); use one of"):
        minimize(rosen, np.zeros(2), method=method, **kwargs)


def test_the_docs_and_the_docstring_name_every_method():
    import os
    from autodiff.optimize.minimize import METHODS
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "docs", "toolkit.md"), encoding="utf-8") as fh:
        page = fh.read()
    paragraph = page[page.index("Methods: "):page.index("```", page.index("Methods: "))]
    for method in METHODS:
        assert f"`{method}`" in paragraph, method
        assert f"'{method}'" in minimize.__doc__, method
