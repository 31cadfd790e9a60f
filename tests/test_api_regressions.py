"""Regressions in the NumPy-facing API: power's special points, argnums, reshape order, NumPy
keywords, and traced values stored into plain arrays."""
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp

autograd = pytest.importorskip("autograd")
import autograd.numpy as np_  # noqa: E402


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args)


def _first_and_second(grad, f, x):
    return _quiet(lambda: (float(grad(f)(x)), float(grad(grad(f))(x))))


# --- power at its special points ---------------------------------------------------------------
@pytest.mark.parametrize("name, f, x, expected", [
    ("x**0.0 at 0", lambda x: x ** 0.0, 0.0, (0.0, 0.0)),
    ("x**0 at 0", lambda x: x ** 0, 0.0, (0.0, 0.0)),
    ("x**2 at -3", lambda x: x ** 2, -3.0, (-6.0, 2.0)),
    ("x**2.0 at -3", lambda x: x ** 2.0, -3.0, (-6.0, 2.0)),
    ("x**3 at 0", lambda x: x ** 3, 0.0, (0.0, 0.0)),
    ("x**3 at -2", lambda x: x ** 3, -2.0, (12.0, -12.0)),
    ("x**1.0 at 0", lambda x: x ** 1.0, 0.0, (1.0, 0.0)),
    ("x**0.5 at 0 (as NumPy: inf)", lambda x: x ** 0.5, 0.0, (np.inf, -np.inf)),
    ("(-2)**y", lambda y: (-2.0) ** y, 2.0, (np.nan, np.nan)),
    ("(-2)**y, y not an integer", lambda y: (-2.0) ** y, 0.5, (np.nan, np.nan)),
    ("0**y, y > 0 (0 log 0 taken as 0)", lambda y: 0.0 ** y, 2.0, (0.0, 0.0)),
    ("0**y at y = 0", lambda y: 0.0 ** y, 0.0, (0.0, 0.0)),
    ("2**y", lambda y: 2.0 ** y, 0.5, (2 ** 0.5 * np.log(2), 2 ** 0.5 * np.log(2) ** 2)),
])
def test_power_special_points(name, f, x, expected):
    got = _first_and_second(ad.grad, f, x)
    np.testing.assert_allclose(got, expected, err_msg=name)
    if name != "x**0.5 at 0 (as NumPy: inf)":  # autograd divides by zero there
        np.testing.assert_allclose(_first_and_second(autograd.grad, f, x), expected)


def test_power_forward_mode_agrees():
    for f, x, d in [(lambda x: x ** 0.0, 0.0, 0.0), (lambda y: (-2.0) ** y, 2.0, np.nan),
                    (lambda y: 0.0 ** y, 2.0, 0.0)]:
        _, t = _quiet(ad.jvp, f, (x,), (1.0,))
        np.testing.assert_allclose(t, d)


def test_power_with_an_array_exponent_holding_zeros():
    e = np.array([0.0, 1.0, 2.0, 2.0, 0.0])
    x = np.array([0.0, 0.0, 0.0, -3.0, 2.0])
    f = lambda x: anp.sum(x ** e)
    np.testing.assert_allclose(ad.grad(f)(x), [0.0, 1.0, 0.0, -6.0, 0.0])
    np.testing.assert_allclose(ad.hessian(f)(x), np.diag([0.0, 0.0, 2.0, 2.0, 0.0]))
    np.testing.assert_allclose(ad.jacfwd(f)(x), [0.0, 1.0, 0.0, -6.0, 0.0])


def test_power_traced_exponent_at_zero():
    """x**y at x = y = 0: every partial is 0, with no NaN at any order."""
    f = lambda v: v[0] ** v[1]
    v = np.zeros(2)
    np.testing.assert_array_equal(_quiet(ad.grad(f), v), [0.0, 0.0])
    np.testing.assert_array_equal(_quiet(ad.hessian(f), v), np.zeros((2, 2)))


def test_power_mixed_second_derivative_at_zero_exponent():
    """d2/dx dy x**y = x**(y-1) (1 + y log x) = 1/x at y = 0 (autograd gives x here); both
    orders agree."""
    f = lambda v: v[0] ** v[1]
    h = ad.hessian(f)(np.array([2.0, 0.0]))
    np.testing.assert_allclose(h, [[0.0, 0.5], [0.5, np.log(2.0) ** 2]])


def test_power_check_grads_second_order():
    ad.check_grads(lambda x: anp.sum(x ** np.array([0.0, 1.0, 2.0, 3.0, 0.5])),
                   (np.array([0.5, -1.2, 0.7, -2.0, 1.3]),), order=2)
    ad.check_grads(lambda y: anp.sum(2.0 ** y), (np.array([0.5, -1.2]),), order=2)
    ad.check_grads(lambda x, y: anp.sum(x ** y), (np.array([0.5, 1.2]), np.array([0.3, 2.0])),
                   order=2)


# --- argnums -------------------------------------------------------------------------------------
TRANSFORMS_WITH_ARGNUMS = [ad.grad, ad.value_and_grad, ad.jacrev, ad.jacfwd, ad.hessian]


@pytest.mark.parametrize("transform", TRANSFORMS_WITH_ARGNUMS)
def test_duplicate_argnums_are_refused(transform):
    f = lambda x, y: x * y ** 2
    with pytest.raises(ValueError, match=r"argnums=\(1, 1\) names argument 1 more than once"):
        transform(f, argnums=(1, 1))
    with pytest.raises(ValueError, match=r"argnums=\(1, -1\) names argument 1 more than once"):
        transform(f, argnums=(1, -1))(2.0, 3.0)


@pytest.mark.parametrize("transform", TRANSFORMS_WITH_ARGNUMS)
@pytest.mark.parametrize("argnums", [1.0, "1", None, (0, 1.0), True])
def test_non_integer_argnums_are_refused(transform, argnums):
    with pytest.raises(TypeError, match=r"argnums must be an integer or a tuple of integers"):
        transform(lambda x, y: x * y, argnums=argnums)


@pytest.mark.parametrize("transform", TRANSFORMS_WITH_ARGNUMS)
def test_out_of_range_argnums(transform):
    with pytest.raises(TypeError, match=r"argnums=\(0, 2\) but the function was called with 2"):
        transform(lambda x, y: x * y, argnums=(0, 2))(1.0, 2.0)


def test_negative_argnums_still_work():
    f = lambda x, y: x * y ** 2
    np.testing.assert_allclose(ad.grad(f, argnums=(0, -1))(2.0, 3.0), (9.0, 12.0))
