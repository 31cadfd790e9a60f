"""Complex numbers end to end, with JAX's conventions (docs/complex.md): JVPs push complex
tangents forward as they are, VJPs are transposes (g f'(z) for holomorphic f), the gradient of a
real f of z = x + iy is df/dx - i df/dy, and a complex output needs holomorphic=True."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp

Z = np.array([1.0 + 2.0j, -0.5 + 0.3j, 0.7 - 1.1j])


def _fd_parts(f, z, eps=1e-6):
    """(df/dx, df/dy) of a real scalar f at complex z, by central differences."""
    dx, dy = np.zeros(z.shape), np.zeros(z.shape)
    for k in range(z.size):
        e = np.zeros(z.shape)
        e.flat[k] = eps
        dx.flat[k] = (f(z + e) - f(z - e)) / (2 * eps)
        dy.flat[k] = (f(z + 1j * e) - f(z - 1j * e)) / (2 * eps)
    return dx, dy


REAL_LOSSES = {
    "abs2": lambda z: np.sum(np.abs(z) ** 2),
    "real_imag": lambda z: np.sum(np.real(z) ** 3 - np.imag(z) * np.real(z)),
    "methods": lambda z: np.sum(z.real * z.imag + (z * z.conj()).real),
    "conj": lambda z: np.sum(np.real(np.conj(z) * np.exp(z))),
    "abs": lambda z: np.sum(np.abs(np.sin(z) + 2.0)),
    "angle": lambda z: np.sum(np.angle(z * (1 + 1j))),
    "log_sqrt": lambda z: np.sum(np.abs(np.log(z) + np.sqrt(z)) ** 2),
    "power": lambda z: np.sum(np.real(z ** 3 + z ** 0.5 + 1.0 / z)),
    "trig": lambda z: np.sum(np.imag(np.tanh(z) + np.cos(z) * np.arctan(z))),
    "matmul_solve": lambda z: np.real(np.sum(np.linalg.solve(
        np.outer(z, z) + 3 * np.eye(3), z) @ np.linalg.inv(np.diag(z) + 2 * np.eye(3)))),
    "norm_vdot": lambda z: np.linalg.norm(z) + np.real(np.vdot(z, 2 * z + 1j)),
    "mixed_real": lambda z: np.sum(np.abs(np.array([1.0, 2.0, 3.0]) * z + 0.5)),
    "var_std": lambda z: np.var(z) + np.std(z * (1 + 2j)),
    "traced_exponent": lambda z: np.sum(np.real(z ** (0.5 * z))),  # d/dw z**w = z**w log z
    "astype": lambda z: np.sum(np.abs(np.real(z).astype(np.complex128) * z)),
}


@pytest.mark.parametrize("name", sorted(REAL_LOSSES))
def test_grad_of_real_function_is_dfdx_minus_i_dfdy(name):
    f = REAL_LOSSES[name]
    dx, dy = _fd_parts(f, Z)
    np.testing.assert_allclose(ad.grad(f)(Z), dx - 1j * dy, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(REAL_LOSSES))
def test_second_order_in_real_and_imaginary_parts(name):
    f = REAL_LOSSES[name]
    g = lambda x, y: f(x + 1j * y)  # noqa: E731
    ad.check_grads(g, (Z.real, Z.imag), order=2)
    ad.check_grads(f, (Z,), order=2)  # check_grads splits a complex argument into its parts


def test_jax_worked_examples():
    # JAX's autodiff cookbook: f(z) = |z|^2 at 3 + 4i has gradient 6 - 8i (the conjugate of
    # 2z); a holomorphic f gives f'(z)
    assert ad.grad(lambda z: np.abs(z) ** 2)(3.0 + 4.0j) == pytest.approx(6.0 - 8.0j)
    assert ad.grad(lambda z: np.real(z) ** 2 + np.imag(z) ** 2)(3.0 + 4.0j) == \
        pytest.approx(6.0 - 8.0j)
    assert ad.grad(anp.sin, holomorphic=True)(1.0 + 1.0j) == pytest.approx(np.cos(1.0 + 1.0j))
    assert ad.grad(lambda z: z ** 3, holomorphic=True)(2.0 - 1.0j) == \
        pytest.approx(3 * (2.0 - 1.0j) ** 2)
    # |z|: gradient conj(z)/|z|, and 0 at 0
    assert ad.grad(np.abs)(3.0 + 4.0j) == pytest.approx((3.0 - 4.0j) / 5.0)
    assert ad.grad(np.abs)(0.0j) == 0


def test_vjp_is_transpose_and_jvp_pushforward():
    # holomorphic: vjp(g) = g f'(z) (no conjugate); jvp(t) = f'(z) t
    z, t, g = 0.3 + 0.8j, 0.5 - 2.0j, 1.5 + 0.25j
    out, f_vjp = ad.vjp(np.exp, z)
    assert f_vjp(g)[0] == pytest.approx(g * np.exp(z))
    assert ad.jvp(np.exp, (z,), (t,))[1] == pytest.approx(np.exp(z) * t)
    # conj: jvp conj(t), vjp conj(g); real: jvp Re(t), vjp g; imag: jvp Im(t), vjp -i g
    assert ad.jvp(np.conj, (z,), (t,))[1] == pytest.approx(np.conj(t))
    assert ad.vjp(np.conj, z)[1](g)[0] == pytest.approx(np.conj(g))
    assert ad.jvp(np.real, (z,), (t,))[1] == pytest.approx(t.real)
    assert ad.vjp(np.real, z)[1](2.0)[0] == pytest.approx(2.0)
    assert ad.jvp(np.imag, (z,), (t,))[1] == pytest.approx(t.imag)
    assert ad.vjp(np.imag, z)[1](2.0)[0] == pytest.approx(-2.0j)


def test_holomorphic_jacobians_and_hessian():
    A = np.array([[2.0 + 1.0j, 1.0], [0.5j, 3.0 - 0.5j]])
    inv = np.linalg.inv(A)
    want = -np.einsum("ik,lj->ijkl", inv, inv)  # d inv(A)_ij / d A_kl
    np.testing.assert_allclose(ad.jacfwd(anp.linalg.inv, holomorphic=True)(A), want)
    np.testing.assert_allclose(ad.jacrev(anp.linalg.inv, holomorphic=True)(A), want)
    z = np.array([1.0 + 1.0j, 2.0j])
    np.testing.assert_allclose(ad.hessian(lambda z: np.sum(z ** 3), holomorphic=True)(z),
                               np.diag(6 * z))
    np.testing.assert_allclose(ad.jacrev(lambda z: z * z, holomorphic=True)(z), np.diag(2 * z))


def test_complex_output_needs_holomorphic():
    with pytest.raises(TypeError, match="holomorphic=True"):
        ad.grad(lambda z: z * z)(1.0 + 1.0j)
    with pytest.raises(TypeError, match="real outputs"):
        ad.grad(lambda x: np.exp(1j * x))(0.5)  # real input, complex output
    with pytest.raises(TypeError, match="holomorphic=True"):
        ad.jacrev(lambda x: np.exp(1j * x))(np.ones(2))
    with pytest.raises(TypeError, match="requires complex inputs"):
        ad.grad(lambda x: x * x, holomorphic=True)(1.0)
    with pytest.raises(TypeError, match="requires real inputs"):
        ad.jacfwd(lambda z: np.abs(z))(Z)
    with pytest.raises(TypeError, match="real and imaginary parts"):
        ad.hessian(lambda z: np.sum(np.abs(z) ** 2))(Z)
    with pytest.raises(TypeError, match="real and imaginary parts"):
        ad.hvp(lambda z: np.sum(np.abs(z) ** 2), Z, Z)
    with pytest.raises(TypeError, match="real and imaginary parts"):
        ad.sparse_hessian(lambda z: np.sum(np.abs(z) ** 2))(Z)
    with pytest.raises(TypeError, match="real and imaginary parts"):
        ad.hvp_fn(lambda z: np.sum(np.abs(z) ** 2), Z)
    with pytest.raises(TypeError, match="real and imaginary parts"):
        ad.hessian_sparsity(lambda z: np.sum(np.abs(z) ** 2), Z)
    with pytest.raises(TypeError, match="real and imaginary parts"):
        ad.optimize.minimize(lambda z: np.sum(np.abs(z - 1j) ** 2), Z)
    with pytest.raises(TypeError, match="complex cotangent"):
        ad.vjp(np.sin, 1.0)[1](1.0j)
    with pytest.raises(TypeError, match="complex tangent"):
        ad.jvp(np.sin, (1.0,), (1.0j,))


def test_jacrev_of_real_outputs_of_complex_inputs():
    # rows are the gradients' convention: d|z|/dx - i d|z|/dy = conj(z)/|z|
    np.testing.assert_allclose(ad.jacrev(lambda z: np.abs(z))(Z), np.diag(Z.conj() / np.abs(Z)))


def test_real_input_complex_output_jacfwd_and_vjp():
    x = np.array([0.3, -1.2])
    J = ad.jacfwd(lambda x: np.exp(1j * x))(x)
    np.testing.assert_allclose(J, np.diag(1j * np.exp(1j * x)))
    # the cotangent of a real input is real: Re(g * i e^{ix})
    g = np.array([1.0 - 2.0j, 0.5j])
    ct = ad.vjp(lambda x: np.exp(1j * x), x)[1](g)[0]
    assert ct.dtype == np.float64
    np.testing.assert_allclose(ct, np.real(g * 1j * np.exp(1j * x)))


def test_hessian_in_real_and_imaginary_parts():
    # f(z) = sum |z|^4: in (x, y), H = blocks of 4(r^2 I + 2 v v^T) per entry, v = (x, y)
    f = lambda x, y: np.sum(np.abs(x + 1j * y) ** 4)  # noqa: E731
    x, y = Z.real, Z.imag
    H = ad.hessian(f, argnums=(0, 1))(x, y)
    r2 = x * x + y * y
    np.testing.assert_allclose(H[0][0], np.diag(4 * r2 + 8 * x * x))
    np.testing.assert_allclose(H[0][1], np.diag(8 * x * y))
    np.testing.assert_allclose(H[1][1], np.diag(4 * r2 + 8 * y * y))
    # the same through ravel_pytree: one real vector of both parts
    v, unravel = ad.ravel_pytree((x, y))
    Hv = ad.hessian(lambda v: f(*unravel(v)))(v)
    np.testing.assert_allclose(Hv[:3, 3:], H[0][1])


def test_ravel_pytree_keeps_imaginary_parts():
    tree = {"a": np.array([1.0 + 2.0j, 3.0j]), "b": np.array([4.0])}
    v, unravel = ad.ravel_pytree(tree)
    assert v.dtype.kind == "c"
    np.testing.assert_array_equal(v, [1 + 2j, 3j, 4])
    back = unravel(v)
    np.testing.assert_array_equal(back["a"], tree["a"])
    assert back["b"].dtype == np.float64
    with pytest.raises(ValueError, match="imaginary parts where the tree has a real leaf"):
        unravel(v + 1j)


def test_real_only_decompositions_refuse_complex():
    A = np.eye(2) * (1.0 + 1.0j)
    for fn in (np.linalg.det, np.linalg.cholesky, lambda a: np.linalg.eigh(a)[0],
               lambda a: np.linalg.svd(a)[1]):
        with pytest.raises(NotImplementedError, match="complex matrices are not supported"):
            ad.grad(lambda a: np.real(np.sum(fn(a))))(A)


def test_traced_real_attribute_of_real_values_is_itself():
    # x.real of a real traced value is x (it used to be for every value, complex ones too)
    assert ad.grad(lambda x: x.real * x + x.imag)(3.0) == 6.0


def test_astype_between_real_and_complex():
    x = np.array([0.3, -1.2])
    assert np.allclose(ad.grad(lambda x: np.sum(np.abs(x.astype(complex) * (1 + 1j)) ** 2))(x),
                       4 * x)
    ad.check_grads(lambda x: x.astype(np.complex128) * (2 - 1j), (x,), order=2)
    # complex to float keeps the real part, as NumPy does: gradient 2 Re(z)
    z = np.array([1.0 + 2.0j, 3.0 - 1.0j])
    np.testing.assert_allclose(ad.grad(lambda z: np.sum(z.astype(np.float64) ** 2))(z),
                               2 * z.real)


def test_real_part_of_one_slice_beside_a_complex_slice_of_the_same_array():
    """The sweep's in-place accumulation made a real buffer for z's cotangent (from real(z[2]))
    and then added z[:2]'s complex cotangent into it: a casting error. Now it adds instead."""
    def f(x):
        z = anp.concatenate([anp.ravel(x * (1 + 2j)), anp.ravel(anp.sum(x ** 2))])
        return anp.sum(np.abs(anp.reshape(z[0:2], (2,))) ** 2) + np.real(anp.reshape(z[2:3], ()))

    x = np.array([0.3, -1.2])
    assert np.allclose(ad.grad(f)(x), 12 * x)
    assert np.allclose(ad.hessian(f)(x), 12 * np.eye(2))
    with ad.shortcuts.disabled("inplace_accumulation"):
        assert np.allclose(ad.grad(f)(x), 12 * x)
