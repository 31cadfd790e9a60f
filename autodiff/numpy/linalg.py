"""autodiff.numpy.linalg: differentiable counterparts of numpy.linalg functions."""
import numpy as np

from ..core.tracer import primal
from ..primitives import elementwise as E, reductions as R
from ..primitives.products import matmul_p, swap_last
from ..primitives.linalg import inv_p, solve_p, logabsdet_p, cholesky_p, eigh_p
from ..primitives.shape import shape_of, reshape_p, getitem


def _square(a, name):
    s = shape_of(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise ValueError(f"{name}: expected square matrices in the last two axes, got shape {s}")


def inv(a):
    """np.linalg.inv."""
    _square(a, "inv")
    return inv_p(a)


def solve(a, b):
    """np.linalg.solve (b a vector or a stack of matrices, as in NumPy 2)."""
    _square(a, "solve")
    sb = shape_of(b)
    if len(sb) == 1:
        return reshape_p(solve_p(a, reshape_p(b, shape=sb + (1,))), shape=sb)
    return solve_p(a, b)


def slogdet(a):
    """np.linalg.slogdet: (sign, log|det|); the sign is piecewise constant."""
    _square(a, "slogdet")
    return np.linalg.slogdet(primal(a))[0], logabsdet_p(a)


def det(a):
    """np.linalg.det, as sign * exp(log|det|)."""
    sign, logabs = slogdet(a)
    return sign * E.exp(logabs)


def norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm: vector norms (ord None, 1, 2, inf, -inf, p) and the Frobenius norm."""
    vector = isinstance(axis, (int, np.integer)) or (axis is None and len(shape_of(x)) == 1)
    if ord is None or (ord == "fro" and not vector) or (ord == 2 and vector):
        return E.sqrt(R.sum(x * x, axis=axis, keepdims=keepdims))
    if vector and ord == np.inf:
        return R.amax(E.absolute(x), axis=axis, keepdims=keepdims)
    if vector and ord == -np.inf:
        return R.amin(E.absolute(x), axis=axis, keepdims=keepdims)
    if vector and ord == 1:
        return R.sum(E.absolute(x), axis=axis, keepdims=keepdims)
    if not vector and ord == 2 and axis is None and len(shape_of(x)) == 2:
        return E.sqrt(R.amax(eigvalsh(matmul_p(swap_last(x), x))))  # the largest singular value
    if vector and isinstance(ord, (int, float)) and ord > 0:
        return R.sum(E.absolute(x) ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)
    raise NotImplementedError(f"autodiff.numpy.linalg.norm: ord={ord!r} with axis={axis!r} "
                              "is not supported")


def cholesky(a):
    """np.linalg.cholesky: the lower factor L with a = L L^T (a's lower triangle is read)."""
    _square(a, "cholesky")
    return cholesky_p(a)


def eigh(a):
    """np.linalg.eigh: (eigenvalues ascending, eigenvectors as columns) of a symmetric matrix
    (its lower triangle is read). Derivatives need distinct eigenvalues."""
    _square(a, "eigh")
    packed = eigh_p(a)
    return getitem(packed, (Ellipsis, 0, slice(None))), getitem(packed, (Ellipsis, slice(1, None),
                                                                          slice(None)))


def eigvalsh(a):
    """np.linalg.eigvalsh: the eigenvalues (ascending) of a symmetric matrix."""
    return eigh(a)[0]
