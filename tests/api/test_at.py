"""x.at[index].set(v) and friends: JAX's functional index updates on traced values."""
import autograd
import autograd.numpy as agnp
import numpy as np
import pytest

import autodiff as ad

x0 = np.array([1.0, 2.0, 3.0, 4.0])


def test_set_with_repeated_indices_keeps_the_last_value_as_numpy():
    idx, v = np.array([0, 2, 0]), np.array([5.0, 1.0, 7.0])
    f = lambda x: np.sum(x.at[idx].set(v * x[1] ** 2) ** 2 * np.arange(4))
    plain = x0.copy()
    plain[idx] = v * x0[1] ** 2
    value, g = ad.value_and_grad(f)(x0)
    assert value == pytest.approx(np.sum(plain ** 2 * np.arange(4)))
    oracle = lambda x: agnp.sum(agnp.array([7 * x[1] ** 2, x[1], x[1] ** 2, x[3]]) ** 2
                                * np.arange(4))
    np.testing.assert_allclose(g, autograd.grad(oracle)(x0))


def test_add_accumulates_and_has_exact_second_derivatives():
    f = lambda x: np.sum(np.sin(x.at[1:3].add(x[:2] * x[2:])))
    oracle = lambda x: agnp.sum(agnp.sin(x + agnp.concatenate([agnp.zeros(1), x[:2] * x[2:],
                                                                 agnp.zeros(1)])))
    np.testing.assert_allclose(ad.grad(f)(x0), autograd.grad(oracle)(x0))
    np.testing.assert_allclose(ad.hessian(f)(x0), autograd.hessian(oracle)(x0))
    twice = ad.grad(lambda x: np.sum(x.at[np.array([1, 1])].add(x[0]) ** 2))(x0)
    np.testing.assert_allclose(twice, [2 * 1.0 + 2 * (2 + 2 * 1.0) * 2, 2 * (2 + 2 * 1.0), 6, 8])


def test_multiply_divide_min_max_get():
    # (x.at is on traced values only: check_grads' finite differences would call it on arrays)
    f = lambda x: np.sum(np.sin(x.at[1].multiply(x[0]).at[:2].divide(x[2:])))
    oracle = lambda x: agnp.sum(agnp.sin(agnp.array([x[0] / x[2], x[1] * x[0] / x[3], x[2],
                                                     x[3]])))
    np.testing.assert_allclose(ad.hessian(f)(x0), autograd.hessian(oracle)(x0))
    np.testing.assert_allclose(ad.jacfwd(ad.grad(f))(x0), autograd.hessian(oracle)(x0))
    np.testing.assert_allclose(ad.jacobian(lambda x: x.at[2:].min(2.5))(x0),
                               np.diag([1.0, 1.0, 0.0, 0.0]))
    np.testing.assert_allclose(ad.grad(lambda x: x.at[0].max(0.0).sum())(x0), np.ones(4))
    np.testing.assert_allclose(ad.grad(lambda x: x.at[::2].get().sum())(x0), [1, 0, 1, 0])


def test_ambiguous_or_bad_updates_are_refused():
    with pytest.raises(ValueError, match=r"repeated indices is ambiguous"):
        ad.grad(lambda x: x.at[np.array([1, 1])].multiply(2.0).sum())(x0)
    with pytest.raises(IndexError):
        ad.grad(lambda x: x.at[7].set(1.0).sum())(x0)


def test_a_vector_of_traced_scalars_by_np_array_says_what_to_write():
    with pytest.raises(TypeError, match=r"np\.stack\(\[\.\.\.\]\) or autodiff\.numpy\.array"):
        ad.grad(lambda x: np.sum(np.array([x[0] ** 2, x[1]])))(x0)
    g = ad.grad(lambda x: np.sum(np.stack([x[0] ** 2, x[1]])))(x0)
    np.testing.assert_allclose(g, [2.0, 1.0, 0.0, 0.0])
