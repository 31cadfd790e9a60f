"""autodiff.numpy.fft: numpy.fft's transforms with NumPy's signatures (n / s, axis / axes,
norm), built on the fft, rfft and irfft primitives (primitives/fft.py): an input is cropped or
zero-padded to the transform's length first, as NumPy does, and the multi-axis real transforms
are NumPy's own composition (rfftn: rfft along the last axis, then fftn over the others)."""
import numpy as np

from ..primitives.fft import fft_p, rfft_p, irfft_p, NORMS
from ..primitives.complex import is_complex
from ..primitives.shape import dtype_of, shape_of, getitem, concatenate_p, normalize_axis
from .functions import _as_array, roll
from .keywords import no_out
from .names import serves


def _norm(norm, fname):
    if norm is None:
        return "backward"
    if norm not in NORMS:
        raise ValueError(f"np.fft.{fname}: invalid norm {norm!r}; it is one of None, "
                         "'backward', 'ortho', 'forward'")
    return norm


def _axis(axis, ndim):
    """An axis as a negative index (the primitives' rules then act on batch axes as they are)."""
    return normalize_axis(axis, ndim) - ndim


def _resize(a, n, axis, fname):
    """a cropped or zero-padded to length n along (negative) axis, as NumPy's n / s do."""
    if n is None:
        return a
    n = int(n)
    if n < 1:
        raise ValueError(f"np.fft.{fname}: invalid number of data points ({n}) specified")
    shape = shape_of(a)
    have = shape[axis]
    if n == have:
        return a
    if n < have:
        index = (Ellipsis, slice(0, n)) + (slice(None),) * (-axis - 1)
        return getitem(a, index)
    pad = list(shape)
    pad[axis] = n - have
    return concatenate_p(a, np.zeros(pad, dtype=dtype_of(a)),
                         axis=axis % len(shape))


def _start(a, fname, out):
    no_out(f"fft.{fname}", out)
    a = _as_array(a)
    if not shape_of(a):
        raise ValueError(f"np.fft.{fname}: the input must have at least one axis")
    return a


def _one(a, n, axis, norm, inverse, fname, out):
    a = _start(a, fname, out)
    axis = _axis(axis, len(shape_of(a)))
    return fft_p(_resize(a, n, axis, fname), axes=(axis,), norm=_norm(norm, fname),
                 inverse=inverse)


@serves("fft.fft")
def fft(a, n=None, axis=-1, norm=None, out=None):
    """np.fft.fft."""
    return _one(a, n, axis, norm, False, "fft", out)


@serves("fft.ifft")
def ifft(a, n=None, axis=-1, norm=None, out=None):
    """np.fft.ifft."""
    return _one(a, n, axis, norm, True, "ifft", out)


def _axes_and_sizes(a, s, axes, fname):
    """NumPy's reading of s and axes: (negative axes, their lengths or None)."""
    ndim = len(shape_of(a))
    if axes is None:
        axes = range(ndim) if s is None else range(ndim - len(s), ndim)
    axes = tuple(_axis(ax, ndim) for ax in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"np.fft.{fname}: repeated axes {axes} are not supported for traced "
                         "values")
    if s is None:
        s = (None,) * len(axes)
    elif len(s) != len(axes):
        raise ValueError(f"np.fft.{fname}: shape and axes have different lengths")
    return axes, tuple(s)


def _many(a, s, axes, norm, inverse, fname, out):
    a = _start(a, fname, out)
    axes, s = _axes_and_sizes(a, s, axes, fname)
    for ax, n in zip(axes, s):
        a = _resize(a, n, ax, fname)
    if not axes:
        return a
    return fft_p(a, axes=axes, norm=_norm(norm, fname), inverse=inverse)


@serves("fft.fftn")
def fftn(a, s=None, axes=None, norm=None, out=None):
    """np.fft.fftn."""
    return _many(a, s, axes, norm, False, "fftn", out)


@serves("fft.ifftn")
def ifftn(a, s=None, axes=None, norm=None, out=None):
    """np.fft.ifftn."""
    return _many(a, s, axes, norm, True, "ifftn", out)


@serves("fft.fft2")
def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """np.fft.fft2."""
    return _many(a, s, axes, norm, False, "fft2", out)


@serves("fft.ifft2")
def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """np.fft.ifft2."""
    return _many(a, s, axes, norm, True, "ifft2", out)


def _real_input(a, fname):
    if is_complex(a):
        raise TypeError(f"np.fft.{fname}: the input is complex; NumPy would drop its imaginary "
                        "part (take np.real(x) first if that is intended, or use fft)")


@serves("fft.rfft")
def rfft(a, n=None, axis=-1, norm=None, out=None):
    """np.fft.rfft (real input)."""
    a = _start(a, "rfft", out)
    _real_input(a, "rfft")
    axis = _axis(axis, len(shape_of(a)))
    return rfft_p(_resize(a, n, axis, "rfft"), axis=axis, norm=_norm(norm, "rfft"))


@serves("fft.irfft")
def irfft(a, n=None, axis=-1, norm=None, out=None):
    """np.fft.irfft: a real signal of length n (default 2 (m - 1) for m bins)."""
    a = _start(a, "irfft", out)
    axis = _axis(axis, len(shape_of(a)))
    return _irfft(a, n, axis, norm, "irfft")


def _irfft(a, n, axis, norm, fname):
    if n is None:
        n = 2 * (shape_of(a)[axis] - 1)
    n = int(n)
    if n < 1:
        raise ValueError(f"np.fft.{fname}: invalid number of data points ({n}) specified")
    return irfft_p(_resize(a, n // 2 + 1, axis, fname), axis=axis, n=n,
                   norm=_norm(norm, fname))


@serves("fft.rfftn")
def rfftn(a, s=None, axes=None, norm=None, out=None):
    """np.fft.rfftn: rfft along the last axis, then fftn over the others."""
    a = _start(a, "rfftn", out)
    _real_input(a, "rfftn")
    axes, s = _axes_and_sizes(a, s, axes, "rfftn")
    if not axes:
        return a
    y = rfft_p(_resize(a, s[-1], axes[-1], "rfftn"), axis=axes[-1], norm=_norm(norm, "rfftn"))
    return _many(y, s[:-1], axes[:-1], norm, False, "rfftn", None)


@serves("fft.irfftn")
def irfftn(a, s=None, axes=None, norm=None, out=None):
    """np.fft.irfftn: ifftn over all axes but the last, then irfft along it."""
    a = _start(a, "irfftn", out)
    axes, s = _axes_and_sizes(a, s, axes, "irfftn")
    if not axes:
        return a
    a = _many(a, s[:-1], axes[:-1], norm, True, "irfftn", None)
    return _irfft(a, s[-1], axes[-1], norm, "irfftn")


@serves("fft.rfft2")
def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """np.fft.rfft2."""
    return rfftn(a, s, axes, norm, out)


@serves("fft.irfft2")
def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """np.fft.irfft2."""
    return irfftn(a, s, axes, norm, out)


def _shift(x, axes, sign):
    x = _as_array(x)
    shape = shape_of(x)
    if axes is None:
        axes = tuple(range(len(shape)))
    elif isinstance(axes, (int, np.integer)):
        axes = (axes,)
    shifts = [sign * (shape[ax] // 2) for ax in axes]
    return roll(x, shifts, tuple(axes))


@serves("fft.fftshift")
def fftshift(x, axes=None):
    """np.fft.fftshift: the zero-frequency bin moved to the centre."""
    return _shift(x, axes, 1)


@serves("fft.ifftshift")
def ifftshift(x, axes=None):
    """np.fft.ifftshift: fftshift undone."""
    return _shift(x, axes, -1)
