"""The parts of a complex number: real, imag, conj. They are not holomorphic, so they cannot be
elementwise partials (a partial multiplies, and conj(t) is no product): each has its rules.

Conventions (JAX's): a tangent of a complex value is a complex number, pushed forward as is; a
cotangent g of a complex value pairs with a tangent t as Re(g t) -- a transpose, not a conjugate
transpose -- so a holomorphic f pulls g back to g f'(z) (what the elementwise partials give),
and the gradient of a real function of z = x + iy is df/dx - i df/dy. See docs/complex.md.
"""
import numpy as np

from ..core.tracer import Tracer, bottom
from .declaration import declare
from .samples import uniform, through
from .shape import shape_of, dtype_of


def is_complex(x):
    """Whether x (an array, a traced value or a number) holds complex numbers."""
    b = bottom(x)  # its dtype only: a value ad.jit stages is not read
    return b.dtype.kind == "c" if isinstance(b, Tracer) else np.iscomplexobj(b)


def _complex(x, y):
    return x + 1j * y


def _real_vjp(g, x_dtype):
    # g pairs with Re(t) as g Re(t) = Re(g t): the cotangent is g itself
    return g


def _imag_vjp(g, x_dtype):
    # g Im(t) = Re(-i g t): the cotangent is -i g (nothing for a real argument)
    return None if x_dtype.kind != "c" else g * -1j


def real(val):
    """np.real: the real part (a real value is its own real part)."""
    return real_p(val) if is_complex(val) else val


def imag(val):
    """np.imag: the imaginary part (a constant zero for a real value)."""
    if is_complex(val):
        return imag_p(val)
    return np.zeros(shape_of(val), dtype=dtype_of(val))  # shape and dtype only: nothing read


def conj(x):
    """np.conjugate / np.conj (a real value is its own conjugate)."""
    return conj_p(x) if is_complex(x) else x


real_p = declare(
    "real", np.real, ("x",), linear=True, jvp=[lambda t: real_p(t)], batched_jvp="same",
    vjp=[_real_vjp], sparsity="elementwise-linear", numpy=("real",), function=real,
    samples=[through(lambda x, y: real_p(_complex(x, y) * _complex(y, x)), uniform(3),
                     uniform(3))],
    doc="the real part of a complex value")
imag_p = declare(
    "imag", np.imag, ("x",), linear=True, jvp=[lambda t: imag_p(t)], batched_jvp="same",
    vjp=[_imag_vjp], sparsity="elementwise-linear", numpy=("imag",), function=imag,
    samples=[through(lambda x, y: imag_p(_complex(x, y) * _complex(y, x)), uniform(3),
                     uniform(3))],
    doc="the imaginary part of a complex value")
conj_p = declare(
    "conj", np.conjugate, ("x",), linear=True, jvp=[lambda t: conj_p(t)], batched_jvp="same",
    vjp=[lambda g: conj_p(g)], sparsity="elementwise-linear", numpy=("conjugate", "conj"),
    function=conj,
    # Re(g conj(t)) = Re(conj(g) t): the cotangent is conj(g)
    samples=[through(lambda x, y: real_p(conj_p(_complex(x, y)) * _complex(1.0, y)),
                     uniform(3), uniform(3))],
    doc="the complex conjugate")
