"""autodiff.numpy.linalg: differentiable counterparts of numpy.linalg functions."""
import numpy as np

from ..core.tracer import primal
from ..primitives import elementwise as E, reductions as R
from ..primitives.products import matmul_p, swap_last
from ..primitives.linalg import (inv_p, solve_p, logabsdet_p, cholesky_p, eigh_p, svd_p,
                                 svd_parts, row)
from ..primitives.shape import shape_of, reshape_p, getitem
from .functions import dot


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
    if not vector and ord in (2, -2, "nuc") and axis is None and len(shape_of(x)) == 2:
        s = svd(x, compute_uv=False)  # spectral norm, smallest singular value, nuclear norm
        return R.amax(s) if ord == 2 else R.amin(s) if ord == -2 else R.sum(s)
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


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """np.linalg.svd: (U, s, Vh) with s descending, or s alone with compute_uv=False.
    Derivatives need distinct, nonzero singular values. For a non-square a, full_matrices=True
    would add singular vectors that are not unique (no derivative): pass full_matrices=False."""
    sa = shape_of(a)
    if len(sa) < 2:
        raise ValueError(f"svd: expected a matrix (or a stack of them), got shape {sa}")
    m, n = sa[-2:]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError(
            f"svd of a {m} x {n} matrix with full_matrices=True: the {abs(m - n)} extra singular "
            "vectors are not unique, so they have no derivative; pass full_matrices=False")
    u, s, v = svd_parts(svd_p(a), m)
    return (u, s, swap_last(v)) if compute_uv else s


def _kept(s, rcond, shape):
    """The singular values above rcond * largest (default rcond: max(m, n) * machine epsilon):
    a constant mask, so derivatives hold where the rank does not change."""
    sv = primal(s)
    if rcond is None:
        rcond = max(shape[-2:]) * np.finfo(np.result_type(sv)).eps
    return sv > np.asarray(rcond)[..., None] * np.max(sv, axis=-1, keepdims=True)


def _pinv_from_svd(u, s, vh, keep):
    inv_s = E.where(keep, 1.0 / E.where(keep, s, 1.0), 0.0)
    return matmul_p(swap_last(vh) * row(inv_s), swap_last(u))


def pinv(a, rcond=None):
    """np.linalg.pinv via the SVD: singular values at most rcond * largest are treated as zero
    (default rcond: max(m, n) * machine epsilon). Differentiable where the rank does not change."""
    u, s, vh = svd(a, full_matrices=False)
    return _pinv_from_svd(u, s, vh, _kept(s, rcond, shape_of(a)))


def lstsq(a, b, rcond=None):
    """np.linalg.lstsq: (x, residuals, rank, s), x = pinv(a) b, the minimum-norm least-squares
    solution, through the SVD. residuals (squared norms per column of b) only when a has full
    column rank and more rows than columns, as in NumPy. Differentiable where the rank is fixed."""
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) != 2 or len(sb) not in (1, 2) or sb[0] != sa[0]:
        raise ValueError(f"lstsq: expected a of shape (m, n) and b of shape (m,) or (m, k), got "
                         f"{sa} and {sb}")
    u, s, vh = svd(a, full_matrices=False)
    keep = _kept(s, rcond, sa)
    x = dot(_pinv_from_svd(u, s, vh, keep), b)
    rank = int(np.sum(keep))
    residuals = np.zeros((0,))
    if rank == sa[1] and sa[0] > sa[1]:
        r = dot(a, x) - b
        residuals = R.sum(r * r, axis=0)
        if len(sb) == 1:
            residuals = reshape_p(residuals, shape=(1,))
    return x, residuals, rank, s


def matrix_power(a, n):
    """np.linalg.matrix_power: a to an integer power by repeated squaring (inv(a) for n < 0)."""
    _square(a, "matrix_power")
    if not isinstance(n, (int, np.integer)):
        raise TypeError("matrix_power: the exponent must be an integer")
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else matmul_p(result, a)
        n >>= 1
        if n:
            a = matmul_p(a, a)
    if result is None:  # n == 0: the identity (a constant), of a's shape and dtype
        s = shape_of(a)
        return np.broadcast_to(np.eye(s[-1], dtype=np.result_type(primal(a))), s).copy()
    return result


def multi_dot(arrays):
    """np.linalg.multi_dot: the product of a chain of matrices (vectors allowed at the ends)."""
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("multi_dot: expecting at least two arrays")
    out = arrays[0]
    for b in arrays[1:]:
        out = dot(out, b)
    return out
