"""NumPy functions added for the coverage issue: each gives NumPy's value on traced inputs and
derivatives checked to second order (plain `np.` calls, through dispatch)."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp

x = np.linspace(0.1, 0.9, 6)
m = x.reshape(2, 3)
nans = np.array([np.nan] * 3 + [0.5] * 3)
CASES = {
    "fabs": lambda x: np.fabs(x - 0.45), "fmax": lambda x: np.fmax(x, nans),
    "fmin": lambda x: np.fmin(nans, x), "sinc": lambda x: np.sinc(3 * x - 1.5),
    "nan_to_num": lambda x: np.nan_to_num(x), "gradient": lambda x: np.gradient(x ** 2, 0.5),
    "gradient_2": lambda x: np.gradient((x ** 3).reshape(2, 3), axis=1, edge_order=2),
    "gradient_all": lambda x: np.stack(np.gradient((x ** 3).reshape(2, 3))),
    "partition": lambda x: np.partition(x[::-1] ** 2, 2), "rollaxis": lambda x: np.rollaxis(
        (x ** 2).reshape(1, 2, 3), 2), "atleast_3d": lambda x: np.atleast_3d(x ** 2),
    "flipud": lambda x: np.flipud(x) * x, "fliplr": lambda x: np.fliplr((x ** 2).reshape(2, 3)),
    "rot90": lambda x: np.rot90((x ** 2).reshape(2, 3)),
    "rot90_3": lambda x: np.rot90((x ** 2).reshape(1, 2, 3), 3, axes=(1, 2)),
    "append": lambda x: np.append(x, x[:2] ** 2), "append_axis": lambda x: np.append(
        x.reshape(2, 3), x.reshape(2, 3) ** 2, axis=1),
    "select": lambda x: np.select([x > 0.5, x > 0.2], [x ** 2, -x], 0.0),
    "column_stack": lambda x: np.column_stack([x, x ** 2]),
    "vsplit": lambda x: np.vsplit((x ** 2).reshape(2, 3), 2)[1],
    "hsplit": lambda x: np.hsplit(x ** 2, 3)[2], "dsplit": lambda x: np.dsplit(
        (x ** 2).reshape(1, 2, 3), [1])[1], "array_split": lambda x: np.array_split(x ** 2, 4)[3],
    "linspace": lambda x: np.linspace(x[0], x[1] ** 2, 5),
    "linspace_arrays": lambda x: np.linspace(x[:2], x[2:4] ** 2, 4, endpoint=False, axis=1),
    "einsum_sublist": lambda x: np.einsum(m * x[:3], [0, 1], x[:3], [1], [0]),
    "std_one": lambda x: np.std(x[:1]) + np.std(x),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_second_order_derivatives(name):
    f = CASES[name]
    value = ad.jvp(f, (x,), (np.ones_like(x),))[0]
    np.testing.assert_allclose(value, f(x), rtol=1e-12)
    ad.check_grads(f, (x,), order=2)


def test_sinc_is_exact_to_second_order_at_and_near_zero():
    d2 = lambda x: ad.grad(ad.grad(lambda x: np.sinc(x)))(x)
    assert d2(0.0) == pytest.approx(-np.pi ** 2 / 3, rel=1e-12)
    for z in (1e-3, 0.0099, 0.0101, 0.3):
        h = 1e-4
        fd = (np.sinc(z + h) - 2 * np.sinc(z) + np.sinc(z - h)) / h ** 2
        assert d2(z) == pytest.approx(fd, rel=1e-5)


def test_std_of_constant_data_has_derivative_zero():
    np.testing.assert_array_equal(ad.grad(lambda x: np.std(x))(np.full(3, 2.0)), 0.0)
    np.testing.assert_array_equal(ad.grad(lambda x: np.std(x[:1]))(x), 0.0)


def test_r_and_c_with_traced_pieces():
    f = lambda x: anp.sum(anp.r_[x[:2], 7.0, x[3:] ** 2, 1:3] * np.arange(8))
    assert ad.value_and_grad(f)(x)[0] == pytest.approx(
        np.sum(np.r_[x[:2], 7.0, x[3:] ** 2, 1:3] * np.arange(8)))
    ad.check_grads(lambda x: anp.c_[x[:3], x[3:] ** 2], (x,), order=2)
    with pytest.raises(NotImplementedError, match="directive string"):
        anp.r_["0,2", x]


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(NotImplementedError, match="coordinate arrays"):
        ad.grad(lambda x: np.gradient(x, x).sum())(x)
    with pytest.raises(ValueError, match="sublist holds axis numbers"):
        ad.grad(lambda x: np.einsum(x, ["i"]).sum())(x)
