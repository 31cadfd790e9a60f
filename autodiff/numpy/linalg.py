"""autodiff.numpy.linalg: differentiable counterparts of numpy.linalg functions."""
import numpy as np

from ..core.tracer import primal
from ..primitives import elementwise as E, reductions as R
from ..primitives.products import matmul_p, swap_last
from ..primitives.linalg import inv_p, solve_p, logabsdet_p, cholesky_p, eigh_p, svd_p, svd_parts
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


def pinv(a, rcond=None):
    """np.linalg.pinv via the SVD: singular values at most rcond * largest are treated as zero
    (default: max(m, n) * machine epsilon). Differentiable where the rank does not change."""
    u, s, vh = svd(a, full_matrices=False)
    sv = primal(s)
    if rcond is None:
        rcond = max(shape_of(a)[-2:]) * np.finfo(np.result_type(sv)).eps
    keep = sv > np.asarray(rcond)[..., None] * np.max(sv, axis=-1, keepdims=True)
    inv_s = E.where(keep, 1.0 / E.where(keep, s, 1.0), 0.0)
    return matmul_p(swap_last(vh) * reshape_p(inv_s, shape=shape_of(inv_s)[:-1] + (1,) +
                                              shape_of(inv_s)[-1:]), swap_last(u))
