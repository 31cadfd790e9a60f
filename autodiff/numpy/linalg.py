"""autodiff.numpy.linalg: differentiable counterparts of numpy.linalg functions."""
from collections import namedtuple

import numpy as np

from ..core.tracer import bottom
from ..primitives import elementwise as E, reductions as R, complex as C
from ..primitives.products import matmul_p, swap_last
from ..primitives.linalg import (inv_p, solve_p, logabsdet_p, det_sign_p, cholesky_p, eigh_p,
                                 svd_p, svd_parts, row)
from ..primitives.eig import eig_p, eig_parts
from ..primitives.shape import dtype_of, shape_of, reshape_p, getitem, normalize_axis
from .functions import _as_array, dot, moveaxis, take_along_axis
from .names import serves


# NumPy 2's result types, so that `eigh(a).eigenvalues` works as with NumPy
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
EigResult = namedtuple("EigResult", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
SlogdetResult = namedtuple("SlogdetResult", ["sign", "logabsdet"])


def _real_only(a, name):
    """The rules of these decompositions are for real matrices (symmetric ones for eigh and
    cholesky): a complex matrix is refused rather than given a wrong derivative."""
    if C.is_complex(a):
        raise NotImplementedError(f"autodiff.numpy.linalg.{name}: complex matrices are not "
                                  "supported (its derivative rules are for real matrices)")


def _square(a, name):
    s = shape_of(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise ValueError(f"{name}: expected square matrices in the last two axes, got shape {s}")


@serves("linalg.inv")
def inv(a):
    """np.linalg.inv."""
    a = _as_array(a)
    _square(a, "inv")
    return inv_p(a)


@serves("linalg.solve")
def solve(a, b):
    """np.linalg.solve (b a vector or a stack of matrices, as in NumPy 2)."""
    a, b = _as_array(a), _as_array(b)
    _square(a, "solve")
    sb = shape_of(b)
    if len(sb) == 1:  # one vector, for every matrix of a stack
        out = solve_p(a, reshape_p(b, shape=sb + (1,)))
        return reshape_p(out, shape=shape_of(out)[:-1])
    return solve_p(a, b)


@serves("linalg.slogdet")
def slogdet(a):
    """np.linalg.slogdet: (sign, log|det|); the sign is piecewise constant."""
    a = _as_array(a)
    _square(a, "slogdet")
    _real_only(a, "slogdet (and det)")
    return SlogdetResult(det_sign_p(bottom(a)), logabsdet_p(a))  # (the sign: a constant)


@serves("linalg.det")
def det(a):
    """np.linalg.det, as sign * exp(log|det|)."""
    a = _as_array(a)
    sign, logabs = slogdet(a)
    return sign * E.exp(logabs)


def _root_of_sum(s, p):
    """s ** (1/p) for a sum s >= 0 (p = 2: the square root), with derivative 0 where s == 0:
    the norm of a zero vector has no derivative and 0 is a subgradient (see
    docs/writing-functions.md). The masks keep 1/0 out of every order of derivative."""
    zero = bottom(s) == 0  # a staged mask under ad.jit
    if not zero.any():
        return E.sqrt(s) if p == 2 else s ** (1.0 / p)
    safe = E.where(zero, 1.0, s)
    return E.where(zero, 0.0, E.sqrt(safe) if p == 2 else safe ** (1.0 / p))


def _abs_power(x, p):
    """|x| ** p, with derivative 0 where x == 0 (for p < 2 the first or second derivative there
    is infinite or does not exist)."""
    zero = bottom(x) == 0
    if not zero.any():
        return E.absolute(x) ** p
    return E.where(zero, 0.0, E.absolute(E.where(zero, 1.0, x)) ** p)


def _squared(x):
    """|x|^2, of real or complex entries."""
    return C.real(x * C.conj(x)) if C.is_complex(x) else x * x


def _vector_norm(x, ord, axis, keepdims):
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    if ord is None or ord == 2:
        return _root_of_sum(R.sum(_squared(x), axis=axis, keepdims=keepdims), 2)
    if ord == np.inf:
        return R.amax(E.absolute(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return R.amin(E.absolute(x), axis=axis, keepdims=keepdims)
    if ord == 0:  # the count of nonzero entries: piecewise constant
        return np.sum(bottom(x) != 0, axis=axis, keepdims=keepdims).astype(float)
    if ord == 1:
        return R.sum(E.absolute(x), axis=axis, keepdims=keepdims)
    if ord > 0:
        return _root_of_sum(R.sum(_abs_power(x, ord), axis=axis, keepdims=keepdims), ord)
    raise NotImplementedError(f"autodiff.numpy.linalg.norm: vector norm ord={ord!r} (negative) "
                              "is not supported")


def _matrix_norm(x, ord, axes, keepdims):
    row_axis, col_axis = axes
    if ord is None or ord in ("fro", "f"):
        return _root_of_sum(R.sum(_squared(x), axis=axes, keepdims=keepdims), 2)
    if ord in (1, -1, np.inf, -np.inf):  # the largest / smallest absolute column or row sum
        summed, other = (row_axis, col_axis) if ord in (1, -1) else (col_axis, row_axis)
        sums = R.sum(E.absolute(x), axis=summed, keepdims=True)
        out = (R.amax if ord > 0 else R.amin)(sums, axis=other, keepdims=True)
    elif ord in (2, -2, "nuc"):  # from the singular values
        m = moveaxis(x, axes, (-2, -1))
        # A zero matrix has all its singular values at 0, where even the singular values alone
        # have no second derivative; as for vectors, its derivatives are taken as 0: the norm
        # is computed on a stand-in with distinct singular values, masked out.
        zero = np.all(bottom(m) == 0, axis=(-2, -1), keepdims=True)
        if zero.any():
            r, c = shape_of(m)[-2:]
            dtype = dtype_of(m)
            stand_in = np.eye(r, c, dtype=dtype) * np.arange(1, c + 1, dtype=dtype)
            m = E.where(zero, stand_in, m)
        s = svd(m, compute_uv=False)
        out = R.amax(s, axis=-1) if ord == 2 else R.amin(s, axis=-1) if ord == -2 else \
            R.sum(s, axis=-1)
        out = reshape_p(out, shape=shape_of(out) + (1, 1))
        if zero.any():
            out = E.where(zero, 0.0, out)
        out = moveaxis(out, (-2, -1), axes)
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    if not keepdims:
        out = reshape_p(out, shape=tuple(n for i, n in enumerate(shape_of(out)) if i not in axes))
    return out


@serves("linalg.norm")
def norm(x, ord=None, axis=None, keepdims=False):
    """np.linalg.norm: vector norms (ord None, 2, 1, inf, -inf, 0, p > 0) and matrix norms
    (ord None, 'fro', 'nuc', 1, -1, 2, -2, inf, -inf). At a zero vector (or matrix) the
    derivative is taken as 0."""
    x = _as_array(x)
    nd = len(shape_of(x))
    if axis is None:
        if ord is None or (ord in ("fro", "f") and nd == 2) or (ord == 2 and nd == 1):
            out = _root_of_sum(R.sum(_squared(x)), 2)
            return reshape_p(out, shape=(1,) * nd) if keepdims else out
        axis = tuple(range(nd))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(normalize_axis(a, nd) for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2 and axes[0] != axes[1]:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: improper axis {axis!r} for an array of {nd} dimensions")


@serves("linalg.vector_norm")
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """np.linalg.vector_norm: a vector norm over the given axes (all of them by default)."""
    x = _as_array(x)
    nd = len(shape_of(x))
    axes = range(nd) if axis is None else axis if isinstance(axis, (tuple, list)) else (axis,)
    return _vector_norm(x, ord, tuple(normalize_axis(a, nd) for a in axes), keepdims)


@serves("linalg.matrix_norm")
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """np.linalg.matrix_norm: a matrix norm over the last two axes."""
    x = _as_array(x)
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


@serves("linalg.cholesky")
def cholesky(a, /, *, upper=False):
    """np.linalg.cholesky: the lower factor L with a = L L^T (a's lower triangle is read), or
    with upper=True the upper factor U = L^T with a = U^T U (a's upper triangle is read)."""
    a = _as_array(a)
    _square(a, "cholesky")
    _real_only(a, "cholesky")
    return swap_last(cholesky_p(swap_last(a))) if upper else cholesky_p(a)


def _uplo(a, UPLO):
    """a as a matrix whose lower triangle holds the triangle UPLO names."""
    if UPLO not in ("L", "U"):
        raise ValueError(f"UPLO argument must be 'L' or 'U', got {UPLO!r}")
    return a if UPLO == "L" else swap_last(a)


@serves("linalg.eigh")
def eigh(a, UPLO="L"):
    """np.linalg.eigh: (eigenvalues ascending, eigenvectors as columns) of a symmetric matrix
    (its lower triangle is read, or the upper one with UPLO='U'). At repeated eigenvalues,
    functions of the eigenvalues alone keep their derivatives; the eigenvectors' derivatives
    are NaN there (they do not exist), see docs/writing-functions.md."""
    a = _as_array(a)
    _square(a, "eigh")
    _real_only(a, "eigh")
    packed = eigh_p(_uplo(a, UPLO))
    return EighResult(getitem(packed, (Ellipsis, 0, slice(None))),
                      getitem(packed, (Ellipsis, slice(1, None), slice(None))))


@serves("linalg.eigvalsh")
def eigvalsh(a, UPLO="L"):
    """np.linalg.eigvalsh: the eigenvalues (ascending) of a symmetric matrix."""
    a = _as_array(a)
    return eigh(a, UPLO)[0]


@serves("linalg.eig")
def eig(a):
    """np.linalg.eig: (eigenvalues, eigenvectors as columns) of a general square matrix, real or
    complex, as NumPy returns them: in LAPACK's order, eigenvectors of unit norm with their
    largest component real, and real arrays for a real matrix whose eigenvalues are all real.
    The derivatives are those of these outputs (the eigenvectors' depend on that convention);
    at repeated eigenvalues and (nearly) defective matrices they are NaN where they do not
    exist: see docs/complex.md."""
    a = _as_array(a)
    _square(a, "eig")
    w, v = eig_parts(eig_p(a))
    if not C.is_complex(a) and not np.any(np.imag(bottom(w))):  # (a guard under ad.jit)
        w, v = C.real_p(w), C.real_p(v)  # NumPy's real results (their derivatives are real)
    return EigResult(w, v)


@serves("linalg.eigvals")
def eigvals(a):
    """np.linalg.eigvals: the eigenvalues of a general square matrix (see eig)."""
    return eig(a)[0]


@serves("linalg.svd")
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """np.linalg.svd: (U, s, Vh) with s descending, or s alone with compute_uv=False.
    Functions of the singular values alone keep their derivatives where singular values
    coincide or vanish; the singular vectors' derivatives are NaN there (they do not exist).
    For a non-square a, full_matrices=True would add singular vectors that are not unique (no
    derivative): pass full_matrices=False. hermitian=True goes through eigh, as NumPy does."""
    a = _as_array(a)
    _real_only(a, "svd (and the norms and functions built on it)")
    sa = shape_of(a)
    if len(sa) < 2:
        raise ValueError(f"svd: expected a matrix (or a stack of them), got shape {sa}")
    m, n = sa[-2:]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError(
            f"autodiff's svd does not support full_matrices=True for a {m} x {n} matrix: the "
            f"{abs(m - n)} extra singular vectors are not unique, so they have no derivative; "
            "pass full_matrices=False")
    if hermitian:
        return _hermitian_svd(a, compute_uv)
    u, s, v = svd_parts(svd_p(a), m)
    return SVDResult(u, s, swap_last(v)) if compute_uv else s


def _hermitian_svd(a, compute_uv):
    """The SVD of a symmetric matrix from its eigendecomposition (its lower triangle is read):
    s = |w| descending, U the eigenvectors in that order, Vh = (U * sign(w))^T."""
    w, v = eigh(a)
    order = np.argsort(np.abs(bottom(w)), axis=-1)[..., ::-1]
    s = take_along_axis(E.absolute(w), order, axis=-1)
    if not compute_uv:
        return s
    u = take_along_axis(v, np.broadcast_to(order[..., None, :], shape_of(v)), axis=-1)
    sign = np.take_along_axis(np.sign(bottom(w)), order, axis=-1)
    return SVDResult(u, s, swap_last(u * sign[..., None, :]))


@serves("linalg.svdvals")
def svdvals(x, /):
    """np.linalg.svdvals: the singular values, descending."""
    x = _as_array(x)
    return svd(x, compute_uv=False)


def _kept(s, rcond, shape):
    """The singular values above rcond * largest (rcond None: max(m, n) * machine epsilon):
    a constant mask, so derivatives hold where the rank does not change."""
    sv = bottom(s)  # staged under ad.jit: a replay recomputes the mask
    if rcond is None:
        rcond = max(shape[-2:]) * np.finfo(dtype_of(s)).eps
    return sv > np.asarray(rcond)[..., None] * np.max(sv, axis=-1, keepdims=True)


def _pinv_from_svd(u, s, vh, keep):
    inv_s = E.where(keep, 1.0 / E.where(keep, s, 1.0), 0.0)
    return matmul_p(swap_last(vh) * row(inv_s), swap_last(u))


_UNSET = object()


@serves("linalg.pinv")
def pinv(a, rcond=None, hermitian=False, *, rtol=_UNSET):
    """np.linalg.pinv via the SVD: singular values at most rcond * largest are treated as zero.
    As in NumPy: rcond defaults to 1e-15; rtol is its other name, and rtol=None means
    max(m, n) * machine epsilon. Differentiable where the rank does not change."""
    a = _as_array(a)
    if rcond is None:
        rcond = 1e-15 if rtol is _UNSET else rtol
    elif rtol is not _UNSET:
        raise ValueError("pinv: `rtol` and `rcond` can't be both set.")
    u, s, vh = svd(a, full_matrices=False, hermitian=hermitian)
    return _pinv_from_svd(u, s, vh, _kept(s, rcond, shape_of(a)))


@serves("linalg.lstsq")
def lstsq(a, b, rcond=None):
    """np.linalg.lstsq: (x, residuals, rank, s), x = pinv(a) b, the minimum-norm least-squares
    solution, through the SVD. residuals (squared norms per column of b) only when a has full
    column rank and more rows than columns, as in NumPy. Differentiable where the rank is fixed."""
    a, b = _as_array(a), _as_array(b)
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


@serves("linalg.matrix_power")
def matrix_power(a, n):
    """np.linalg.matrix_power: a to an integer power by repeated squaring (inv(a) for n < 0)."""
    a = _as_array(a)
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
        return np.broadcast_to(np.eye(s[-1], dtype=np.result_type(dtype_of(a))), s).copy()
    return result


@serves("linalg.multi_dot")
def multi_dot(arrays, *, out=None):
    """np.linalg.multi_dot: the product of a chain of matrices (vectors allowed at the ends)."""
    if out is not None:
        raise TypeError("autodiff's multi_dot does not support out=: in-place results are not "
                        "supported on traced values")
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("multi_dot: expecting at least two arrays")
    out = arrays[0]
    for b in arrays[1:]:
        out = dot(out, b)
    return out
