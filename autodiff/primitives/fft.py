"""Discrete Fourier transforms: the complex transform over some axes, and the real-input and
real-output transforms along one axis. All are linear, so a JVP is the same transform of the
tangent; a VJP is the transpose (not the conjugate transpose: see primitives/complex.py):

  fft, ifft   the DFT matrix is symmetric, so each is its own transpose (same norm).
  rfft        y = (F x)[:m] for real x, m = n//2 + 1: x̄ = Re(F pad(g)), g zero-padded to n.
  irfft       y = Re(sum_k w_k c_k e^{2 pi i jk/n}) * scale, w_k = 2 for the bins that stand
              for two (1 <= k <= (n-1)//2), else 1: c̄ = w conj(rfft(g)), rfft with the norm
              whose scale is irfft's (the opposite one).

Axes are negative (counted from the end), so the rules act on leading batch axes as they are.
Sizes are exact: the NumPy layer (numpy/fft.py) crops or zero-pads to `n` / `s` first.
"""
import numpy as np

from .declaration import declare
from .samples import uniform, call, through
from .complex import real_p, conj_p
from .shape import concatenate_p

NORMS = ("backward", "ortho", "forward")
_OPPOSITE = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def _fft_impl(x, axes, norm, inverse):
    return (np.fft.ifftn if inverse else np.fft.fftn)(x, axes=axes, norm=norm)


def _fft_rule(t, axes, norm, inverse):
    return fft_p(t, axes=axes, norm=norm, inverse=inverse)


def _complex(x, y):
    return x + 1j * y


fft_p = declare(
    "fft", _fft_impl, ("x",), params=("axes", "norm", "inverse"), linear=True,
    jvp=[_fft_rule], batched_jvp="same", vjp=[_fft_rule], sparsity="dense",
    samples=[call(uniform(5), axes=(-1,), norm="backward", inverse=False),
             through(lambda x, y: fft_p(_complex(x, y), axes=(-2, -1), norm="ortho",
                                        inverse=True), uniform(3, 4), uniform(3, 4)),
             through(lambda x, y: fft_p(_complex(x, y), axes=(-2,), norm="forward",
                                        inverse=False), uniform(4, 2), uniform(4, 2))],
    doc="the complex DFT (or its inverse) over axes")


def _pad(g, n, axis):
    """g zero-padded to length n along (negative) axis."""
    shape = list(g.shape)
    extra = n - shape[axis]
    if extra == 0:
        return g
    shape[axis] = extra
    return concatenate_p(g, np.zeros(shape, dtype=g.dtype), axis=axis % len(shape))


def _rfft_vjp(g, x_shape, axis, norm):
    return real_p(fft_p(_pad(g, x_shape[axis], axis), axes=(axis,), norm=norm, inverse=False))


rfft_p = declare(
    "rfft", lambda x, axis, norm: np.fft.rfft(x, axis=axis, norm=norm), ("x",),
    params=("axis", "norm"), linear=True,
    jvp=[lambda t, axis, norm: rfft_p(t, axis=axis, norm=norm)], batched_jvp="same",
    vjp=[_rfft_vjp], sparsity="dense",
    samples=[call(uniform(6), axis=-1, norm="backward"),
             call(uniform(5, 2), axis=-2, norm="ortho"),
             call(uniform(2, 4), axis=-1, norm="forward")],
    doc="the DFT of real data along an axis, bins 0..n//2")


def _bin_weights(n, axis):
    """w_k: 2 for the bins irfft counts twice (k and n - k), 1 for bin 0 and, n even, n/2;
    shaped to broadcast along (negative) axis."""
    w = np.ones(n // 2 + 1)
    w[1:(n - 1) // 2 + 1] = 2.0
    return w.reshape((-1,) + (1,) * (-axis - 1))


def _irfft_vjp(g, axis, n, norm):
    return _bin_weights(n, axis) * conj_p(rfft_p(g, axis=axis, norm=_OPPOSITE[norm]))


irfft_p = declare(
    "irfft", lambda c, axis, n, norm: np.fft.irfft(c, n=n, axis=axis, norm=norm), ("c",),
    params=("axis", "n", "norm"), linear=True,
    jvp=[lambda t, axis, n, norm: irfft_p(t, axis=axis, n=n, norm=norm)], batched_jvp="same",
    vjp=[_irfft_vjp], sparsity="dense",
    samples=[through(lambda x, y: irfft_p(_complex(x, y), axis=-1, n=6, norm="backward"),
                     uniform(4), uniform(4)),
             through(lambda x, y: irfft_p(_complex(x, y), axis=-2, n=5, norm="ortho"),
                     uniform(3, 2), uniform(3, 2)),
             through(lambda x: irfft_p(x, axis=-1, n=4, norm="forward"), uniform(2, 3))],
    doc="the real inverse DFT along an axis, from bins 0..n//2")
