"""np.fft on traced values: NumPy's values, Jacobians and VJPs against dense DFT matrices (the
VJP is the transpose, not the conjugate transpose: docs/complex.md), every function to second
order against finite differences, and Hessians of real losses against closed forms."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp

RNG = np.random.default_rng(16)
X = RNG.standard_normal((4, 6))
C = RNG.standard_normal((4, 6)) + 1j * RNG.standard_normal((4, 6))
NORMS = [None, "backward", "ortho", "forward"]


def _scale(n, norm, inverse):
    """The factor NumPy's norm puts on the unnormalized sum."""
    forward = {None: 1.0, "backward": 1.0, "ortho": n ** -0.5, "forward": 1.0 / n}[norm]
    backward = {None: 1.0 / n, "backward": 1.0 / n, "ortho": n ** -0.5, "forward": 1.0}[norm]
    return backward if inverse else forward


def _dft(n, m=None, inverse=False, norm=None):
    """The dense DFT matrix (its first m rows)."""
    j = np.arange(n)
    sign = 1 if inverse else -1
    F = np.exp(sign * 2j * np.pi * np.outer(j, j) / n) * _scale(n, norm, inverse)
    return F if m is None else F[:m]


CALLS = {  # name: (function of one array, input)
    "fft": (lambda a: np.fft.fft(a), X),
    "fft_n_pad": (lambda a: np.fft.fft(a, n=8, axis=0, norm="ortho"), C),
    "fft_n_crop": (lambda a: np.fft.fft(a, n=4, norm="forward"), C),
    "ifft": (lambda a: np.fft.ifft(a, axis=-2), C),
    "fft2": (lambda a: np.fft.fft2(a, norm="ortho"), X),
    "ifft2_s": (lambda a: np.fft.ifft2(a, s=(3, 7)), C),
    "fftn": (lambda a: np.fft.fftn(a, axes=(1,), norm="forward"), C),
    "ifftn": (lambda a: np.fft.ifftn(a), X),
    "rfft": (lambda a: np.fft.rfft(a), X),
    "rfft_odd": (lambda a: np.fft.rfft(a, n=5, axis=0, norm="ortho"), X),
    "irfft": (lambda a: np.fft.irfft(a), C),
    "irfft_odd": (lambda a: np.fft.irfft(a, n=7, norm="forward"), C),
    "irfft_axis0": (lambda a: np.fft.irfft(a, n=4, axis=0, norm="ortho"), C),
    "rfft2": (lambda a: np.fft.rfft2(a), X),
    "rfftn_s": (lambda a: np.fft.rfftn(a, s=(5, 4), axes=(0, 1), norm="ortho"), X),
    "irfft2": (lambda a: np.fft.irfft2(a), C),
    "irfftn_s": (lambda a: np.fft.irfftn(a, s=(3, 5), axes=(0, 1), norm="forward"), C),
    "fftshift": (lambda a: np.fft.fftshift(a), C),
    "ifftshift_axis": (lambda a: np.fft.ifftshift(a, axes=1), X),
    "round_trip": (lambda a: np.fft.irfft(np.fft.rfft(a) * np.arange(1, 5.0), n=6), X),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_values_are_numpys(name):
    fn, a = CALLS[name]
    got = ad.jvp(fn, (a,), (np.ones_like(a),))[0]
    np.testing.assert_allclose(got, fn(a), atol=1e-12)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_derivatives_to_second_order(name):
    fn, a = CALLS[name]
    ad.check_grads(fn, (a,), order=2)  # complex outputs compared as complex; complex inputs
    #                                    checked in their real and imaginary parts


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("inverse", [False, True])
def test_fft_jacobian_and_transpose_are_the_dft_matrix(norm, inverse):
    n = 5
    F = _dft(n, inverse=inverse, norm=norm)
    fn = (lambda a: np.fft.ifft(a, norm=norm)) if inverse else (lambda a: np.fft.fft(a, norm=norm))
    z = C[0, :n]
    np.testing.assert_allclose(ad.jacfwd(fn, holomorphic=True)(z), F, atol=1e-12)
    np.testing.assert_allclose(ad.jacrev(fn, holomorphic=True)(z), F, atol=1e-12)
    g = C[1, :n]
    np.testing.assert_allclose(ad.vjp(fn, z)[1](g)[0], F.T @ g, atol=1e-12)  # transpose
    np.testing.assert_allclose(ad.jvp(fn, (z,), (g,))[1], F @ g, atol=1e-12)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [5, 6])
def test_rfft_jacobian_and_transpose(norm, n):
    R = _dft(n, n // 2 + 1, norm=norm)
    fn = lambda a: np.fft.rfft(a, norm=norm)  # noqa: E731
    x = X[0, :n] if n <= 6 else None
    np.testing.assert_allclose(ad.jacfwd(fn)(x), R, atol=1e-12)
    g = C[1, :n // 2 + 1]
    ct = ad.vjp(fn, x)[1](g)[0]
    assert ct.dtype == np.float64
    np.testing.assert_allclose(ct, np.real(R.T @ g), atol=1e-12)  # Re(R^T g): the halved bins


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [5, 6])
def test_irfft_jacobian_and_transpose(norm, n):
    m = n // 2 + 1
    # the real-linear map c -> irfft(c) in the real and imaginary parts of c, column by column
    Jre = np.stack([np.fft.irfft(e, n=n, norm=norm) for e in np.eye(m)], axis=1)
    Jim = np.stack([np.fft.irfft(1j * e, n=n, norm=norm) for e in np.eye(m)], axis=1)
    fn = lambda c: np.fft.irfft(c, n=n, norm=norm)  # noqa: E731
    c = C[0, :m]
    t = C[2, :m]
    np.testing.assert_allclose(ad.jvp(fn, (c,), (t,))[1], Jre @ t.real + Jim @ t.imag,
                               atol=1e-12)
    g = X[1, :n]
    ct = ad.vjp(fn, c)[1](g)[0]
    # cotangent pairs as Re(ct t) = ct.real t.real - ct.imag t.imag: ct = Jre^T g - i Jim^T g
    np.testing.assert_allclose(ct, Jre.T @ g - 1j * (Jim.T @ g), atol=1e-12)
    # the doubled bins: d/dRe(c_k) of sum(g * y) weighs bins 1..(n-1)//2 twice
    w = np.ones(m)
    w[1:(n - 1) // 2 + 1] = 2
    np.testing.assert_allclose(ct, w * np.conj(np.fft.rfft(g)) * _scale(n, norm, True),
                               atol=1e-12)


@pytest.mark.parametrize("norm", NORMS)
def test_hessian_of_power_is_parseval(norm):
    # sum |fft(x)|^2 = n * s^2 * |x|^2 (s the norm's factor): Hessian 2 n s^2 I
    n = 6
    f = lambda x: np.sum(np.abs(np.fft.fft(x, norm=norm)) ** 2)  # noqa: E731
    x = X[0]
    np.testing.assert_allclose(ad.hessian(f)(x), 2 * n * _scale(n, norm, False) ** 2 *
                               np.eye(n), atol=1e-10)
    np.testing.assert_allclose(ad.grad(f)(x), 2 * n * _scale(n, norm, False) ** 2 * x,
                               atol=1e-10)


@pytest.mark.parametrize("n", [5, 6])
def test_hessian_of_rfft_power_closed_form(n):
    # sum |R x|^2 = x^T Re(R^H R) x for real x: Hessian 2 Re(R^H R)
    R = _dft(n, n // 2 + 1)
    x = X[1, :n]
    f = lambda x: np.sum(np.abs(np.fft.rfft(x)) ** 2)  # noqa: E731
    np.testing.assert_allclose(ad.hessian(f)(x), 2 * np.real(R.conj().T @ R), atol=1e-10)
    v = X[2, :n]
    np.testing.assert_allclose(ad.hvp(f, x, v), 2 * np.real(R.conj().T @ R) @ v, atol=1e-10)


def test_hessian_of_complex_parameters_through_fft():
    # loss of complex parameters z = x + iy: |fft(z)|^2 = n |z|^2, Hessian 2n I in (x, y)
    n = 4
    f = lambda x, y: np.sum(np.abs(np.fft.fft(x + 1j * y)) ** 2)  # noqa: E731
    H = ad.hessian(f, argnums=(0, 1))(X[0, :n], X[1, :n])
    np.testing.assert_allclose(np.block([[H[0][0], H[0][1]], [H[1][0], H[1][1]]]),
                               2 * n * np.eye(2 * n), atol=1e-10)


def test_namespace_and_dispatch():
    x = X[0]
    f_np = lambda x: np.sum(np.abs(np.fft.rfft(x)))  # noqa: E731
    f_anp = lambda x: anp.sum(anp.abs(anp.fft.rfft(x)))  # noqa: E731
    np.testing.assert_allclose(ad.grad(f_np)(x), ad.grad(f_anp)(x))
    assert "fft" in anp.__all__


def test_errors():
    with pytest.raises(TypeError, match="complex"):
        ad.grad(lambda z: np.sum(np.fft.rfft(z)).real)(C[0])
    with pytest.raises(ValueError, match="invalid norm"):
        ad.grad(lambda x: np.sum(np.abs(np.fft.fft(x, norm="unitary"))))(X[0])
    with pytest.raises(ValueError, match="invalid number of data points"):
        ad.grad(lambda x: np.sum(np.abs(np.fft.fft(x, n=0))))(X[0])
    with pytest.raises(TypeError, match="holomorphic"):
        ad.grad(lambda x: np.sum(np.fft.fft(x)))(X[0])  # a complex output, silently no more
    with pytest.raises(TypeError, match="out"):
        ad.grad(lambda x: np.sum(np.abs(np.fft.fft(x, out=np.zeros(6, complex)))))(X[0])
