"""scipy.special on traced values: the ufuncs through plain scipy calls, the rest through
autodiff.scipy.special; values equal SciPy's, derivatives checked to second order, stable at
extreme arguments."""
import numpy as np
import pytest
import scipy.special as sc

import autodiff as ad
import autodiff.scipy.special as asp

rng = np.random.default_rng(3)
U = lambda lo, hi, n=4: rng.uniform(lo, hi, n)

UNARY = {  # name: inputs inside the domain
    "gammaln": U(0.3, 5), "gamma": U(0.3, 4), "digamma": U(0.3, 5), "psi": U(0.3, 5),
    "erf": U(-2, 2), "erfc": U(-2, 2), "erfinv": U(-0.9, 0.9), "erfcinv": U(0.1, 1.9),
    "ndtr": U(-3, 3), "log_ndtr": U(-5, 3), "ndtri": U(0.05, 0.95), "expit": U(-4, 4),
    "logit": U(0.05, 0.95), "log_expit": U(-4, 4), "entr": U(0.1, 3), "i0e": U(-3, 3),
    "i1e": U(-3, 3),
}
BINARY = {
    "xlogy": (U(-2, 2), U(0.2, 3)), "xlog1py": (U(-2, 2), U(-0.5, 3)),
    "rel_entr": (U(0.2, 3), U(0.2, 3)), "kl_div": (U(0.2, 3), U(0.2, 3)),
    "betaln": (U(0.3, 4), U(0.3, 4)), "beta": (U(0.3, 4), U(0.3, 4)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_ufuncs_on_traced_values(name):
    fn, x = getattr(sc, name), UNARY[name]
    np.testing.assert_allclose(ad.jvp(fn, (x,), (np.ones_like(x),))[0], fn(x))
    ad.check_grads(fn, (x,), order=2)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ufuncs_on_traced_values(name):
    fn, args = getattr(sc, name), BINARY[name]
    ad.check_grads(fn, args, order=2)
    ad.check_grads(lambda x: fn(x, args[1][:1]), (args[0],), order=2)  # broadcasting


def test_closed_forms_of_the_derivatives():
    x = UNARY["gammaln"]
    np.testing.assert_allclose(ad.grad(lambda x: sc.gammaln(x).sum())(x), sc.digamma(x))
    np.testing.assert_allclose(np.diag(ad.hessian(lambda x: sc.gammaln(x).sum())(x)),
                               sc.polygamma(1, x))
    third = ad.grad(lambda x: ad.grad(lambda x: sc.digamma(x).sum())(x).sum())(x)
    np.testing.assert_allclose(third, sc.polygamma(2, x))
    z = UNARY["expit"]
    np.testing.assert_allclose(ad.grad(lambda z: sc.log_expit(z).sum())(z), sc.expit(-z))


def test_extreme_arguments_keep_finite_exact_derivatives():
    x = np.array([-40.0, -10.0, 0.0, 10.0])
    g = ad.grad(lambda x: sc.log_ndtr(x).sum())(x)  # ~ -x for very negative x
    assert np.all(np.isfinite(g)) and g[0] == pytest.approx(40.0249, rel=1e-4)
    h = np.diag(ad.hessian(lambda x: sc.log_ndtr(x).sum())(x))
    assert np.all(np.isfinite(h)) and h[0] == pytest.approx(-1.0, rel=2e-3)
    np.testing.assert_allclose(ad.grad(lambda z: sc.log_expit(z).sum())(np.array([-800.0, 800.0])),
                               [1.0, 0.0])
    a = np.array([1000.0, 1001.0, -np.inf])
    np.testing.assert_allclose(asp.logsumexp(a), sc.logsumexp(a))
    np.testing.assert_allclose(ad.grad(asp.logsumexp)(a), sc.softmax(a))


def test_zero_times_log_zero_has_derivatives_without_nan():
    x, y = np.array([0.0, 1.0]), np.array([0.0, 2.0])
    gx, gy = ad.grad(lambda x, y: sc.xlogy(x, y + 1.0).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gy, [0.0, 1.0 / 3.0])
    H = ad.hessian(lambda y: sc.xlogy(x, y + 1.0).sum())(y)
    assert np.all(np.isfinite(H))
    assert np.all(np.isfinite(ad.hessian(lambda x: sc.i1e(x).sum())(np.array([0.0, 1.0]))))


def test_non_ufunc_functions():
    a = rng.standard_normal((3, 4))
    for axis in (None, 0, 1, (0, 1)):
        np.testing.assert_allclose(asp.logsumexp(a, axis=axis), sc.logsumexp(a, axis=axis))
        ad.check_grads(lambda a: asp.logsumexp(a, axis=axis), (a,), order=2)
    b = rng.uniform(0.5, 2.0, (3, 4))
    np.testing.assert_allclose(asp.logsumexp(a, axis=1, b=b, keepdims=True),
                               sc.logsumexp(a, axis=1, b=b, keepdims=True))
    ad.check_grads(lambda a, b: asp.logsumexp(a, axis=1, b=b), (a, b), order=2)
    value, sign = asp.logsumexp(a, b=-b, return_sign=True)
    np.testing.assert_allclose((value, sign), sc.logsumexp(a, b=-b, return_sign=True))
    for fn in ("softmax", "log_softmax"):
        np.testing.assert_allclose(getattr(asp, fn)(a, axis=1), getattr(sc, fn)(a, axis=1))
        ad.check_grads(lambda a: getattr(asp, fn)(a, axis=1), (a,), order=2)
    x = U(2.0, 5.0)
    np.testing.assert_allclose(asp.multigammaln(x, 3), sc.multigammaln(x, 3))
    ad.check_grads(lambda x: asp.multigammaln(x, 3), (x,), order=2)
    np.testing.assert_allclose(asp.polygamma(2, x), sc.polygamma(2, x))
    ad.check_grads(lambda x: asp.polygamma(1, x), (x,), order=2)


def test_an_unsupported_scipy_function_is_named():
    with pytest.raises(NotImplementedError, match=r"scipy\.special\.struve is not differentiable"):
        ad.grad(lambda x: sc.struve(1.0, x).sum())(np.ones(2))
    with pytest.raises(AttributeError, match=r"scipy\.special\.struve is not differentiable"):
        asp.struve  # noqa: B018


def test_x_log_y_at_x_zero_keeps_its_mixed_second_derivative():
    """d/dy xlogy(x, y) = x / y is 0 at x = 0 but its derivative in x is 1 / y there: the
    Hessian must be symmetric (a thorough differential run found hvp_fn and hessian differ)."""
    z = np.array([0.0, 0.7, 0.3, 1.2])
    for fn in (sc.xlogy, sc.xlog1py):
        f = lambda z: np.sum(fn(z[:2], z[2:] ** 2 + 0.5))
        H = ad.hessian(f)(z)
        np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-12)
        assert H[0, 2] != 0.0
        np.testing.assert_allclose(ad.hvp_fn(f, z)(np.eye(4)[0]), H[0], rtol=1e-12)


def test_logsumexp_reduces_along_the_axes_of_a_and_b_broadcast_together():
    """scipy broadcasts a against the weights b first: an axis only b has is an axis of the
    result (found by the differential tests: AxisError)."""
    a, b = U(-1.0, 1.0, 3), rng.uniform(0.5, 2.0, (2, 3))
    for axis in (0, 1, -2, (0, 1), None):
        for keepdims in (False, True):
            np.testing.assert_allclose(asp.logsumexp(a, axis=axis, b=b, keepdims=keepdims),
                                       sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims))
        ad.check_grads(lambda a, b: asp.logsumexp(a, axis=axis, b=b), (a, b), order=2)
    value, sign = asp.logsumexp(a, axis=1, b=b - 1.2, return_sign=True)
    np.testing.assert_allclose((value, sign), sc.logsumexp(a, axis=1, b=b - 1.2,
                                                           return_sign=True))


def test_bessel_functions_to_second_order():
    x = np.array([0.3, 1.1, 2.5])
    for name in ("i0", "i1", "j0", "j1", "y0", "y1"):
        ad.check_grads(getattr(sc, name), (x,), order=2)
    for name, v in (("iv", 1.5), ("ive", -0.5), ("jv", 1.5), ("yv", 2.5), ("jn", 2), ("yn", 3)):
        ad.check_grads(lambda x: getattr(sc, name)(v, x), (x,), order=2)
    ad.check_grads(np.i0, (x,), order=2)
    np.testing.assert_allclose(ad.grad(lambda x: sc.j0(x).sum())(x), -sc.j1(x))
    # I1(x) / x -> 1/2 at 0: I1' (0) = 1/2, I1''(0) = 0, no NaN
    np.testing.assert_allclose(ad.hessian(lambda x: sc.i1(x).sum())(np.array([0.0])), [[0.0]])
    assert ad.grad(lambda x: sc.j1(x).sum())(np.array([0.0]))[0] == pytest.approx(0.5)
    with pytest.raises(NotImplementedError, match=r"jv with respect to its order v"):
        ad.grad(lambda v: sc.jv(v, 1.0))(1.0)
