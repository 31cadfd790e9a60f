"""The eigendecomposition of a general square matrix (np.linalg.eig), real or complex: one
primitive with a complex output packed as eigh's is, row 0 the eigenvalues (in LAPACK's order)
and rows 1.. the eigenvectors as columns.

Eigenvectors are defined only up to a complex factor each, so their derivative depends on
how that factor is fixed (the gauge). The rules use the one NumPy's results obey (LAPACK's
geev), so they are the derivatives of what np.linalg.eig returns: each eigenvector has unit
norm and its largest component (in modulus) is real. With A V = V diag(w), K = V^-1 dA V and
F_ij = 1 / (w_j - w_i) off the diagonal (transposes, not conjugate transposes, throughout):

  dw = diag(K),   dV = U + V diag(c),   U = V (F o K),
  c_i = -Re(v_i^H u_i) - i Im(U[k_i, i]) / V[k_i, i]   (k_i: v_i's largest component),

the first term of c keeping |v_i| = 1, the second V[k_i, i] real. (JAX's rule keeps the norm
and leaves the phase free instead, so it is not the derivative of NumPy's eigenvectors.)
Where derivatives do not exist (docs/complex.md has the reasons):
  * repeated eigenvalues: as for eigh (`_gap_quotient`), the eigenvalues keep diag(K) (a
    symmetric function of them gets its true derivative) and the eigenvectors concerned NaN;
  * a (nearly) defective matrix, with no basis of eigenvectors (V singular): NaN throughout;
  * two largest components of equal modulus (a rotation matrix): NumPy's phase jumps there.
    A cotangent that depends on the phase gets NaN; the JVP, which cannot know, keeps the
    phase LAPACK chose (a one-sided derivative), so that phase-free results (eigenvalues,
    |v|, projectors) keep their derivatives to every order.
"""
import numpy as np

from ..core.tracer import bottom
from .declaration import declare
from .samples import uniform, nondefective, through
from .products import matmul_p, swap_last
from .reductions import sum_p
from .elementwise import where
from .complex import real_p, imag_p, conj_p
from .shape import concatenate, getitem
from .linalg import (inv_p, svd_p, row, _diagonal, _eigh_parts as eig_parts, _gap_quotient,
                     _quotient, TIE)


def _eig_impl(a):
    w, v = np.linalg.eig(a)
    packed = np.concatenate([w[..., None, :], v], axis=-2)
    return packed.astype(np.result_type(packed, 1j))  # complex, of a's precision


def _column_sums(x):
    """Sum over the rows: (..., n, n) -> (..., n)."""
    return sum_p(x, axis=(len(x.shape) - 2,), keepdims=False)


def _largest(v):
    """(a one-hot mask of each eigenvector's largest component, a mask of the eigenvectors
    whose two largest components are equal up to TIE), as constants."""
    m = np.abs(bottom(v))  # staged under ad.jit: a replay recomputes the masks
    n = m.shape[-2]
    k = np.argmax(m, axis=-2)
    onehot = np.arange(n)[:, None] == k[..., None, :]
    if n < 2:
        return onehot, np.zeros(k.shape, dtype=bool)
    first = np.max(m, axis=-2)
    second = np.max(np.where(onehot, -np.inf, m), axis=-2)  # the largest but that one
    return onehot, first - second <= TIE * first


def _defective(v):
    """Matrices whose eigenvectors are (nearly) linearly dependent, as a mask broadcasting
    against the packed output: V^-1 would amplify round-off beyond 1 / TIE."""
    b = bottom(v)  # staged under ad.jit: the singular values by a staged step
    n = b.shape[-2]
    s = np.real(getitem(svd_p(b), (Ellipsis, slice(None), n)))  # descending
    with np.errstate(all="ignore"):
        cond = s[..., 0] / s[..., -1]  # np.linalg.cond's 2-norm condition number
    return ~(cond < 1 / TIE)[..., None, None]


def _nan_where(mask, x):
    return where(mask, np.nan, x) if mask.any() else x


def _eig_jvp(t, out):
    w, v = eig_parts(out)
    k = matmul_p(matmul_p(inv_p(v), t), v)
    u = matmul_p(v, _gap_quotient(k, w))
    onehot, _ = _largest(v)
    c = -real_p(_column_sums(conj_p(v) * u)) \
        - 1j * imag_p(_column_sums(u * onehot)) / real_p(_column_sums(v * onehot))
    dv = u + v * row(c)
    return _nan_where(_defective(v), concatenate([row(_diagonal(k)), dv], axis=-2))


def _eig_vjp(g, out, a_dtype):
    w, v = eig_parts(out)
    gw, gv = eig_parts(g)
    onehot, tie = _largest(v)
    if a_dtype.kind != "c":  # the eigenvectors of real eigenvalues are real: no phase to jump
        tie = tie & (np.imag(bottom(w)) != 0)
    s = _column_sums(v * gv)  # pairs with c_i: Re(sum gV o (V diag(c))) = Re(sum_i c_i s_i)
    phase = _quotient(imag_p(s), real_p(_column_sums(v * onehot)), zero=tie)
    gu = gv - conj_p(v) * row(real_p(s)) - 1j * onehot * row(phase)
    # the eigenvectors g reads (not only gu's columns: one whose norm alone g reads still has
    # no derivative at a repeated eigenvalue, where it jumps)
    touched = np.sum(np.abs(bottom(gv)), axis=-2)[..., None, :]
    gk = _gap_quotient(matmul_p(swap_last(v), gu), w, touched) \
        + row(gw) * np.eye(v.shape[-1])
    ga = matmul_p(matmul_p(swap_last(inv_p(v)), gk), swap_last(v))
    return _nan_where(_defective(v), ga)


def _complex(x, y):
    return x + 1j * y


eig_p = declare(
    "eig", _eig_impl, ("a",), jvp=[_eig_jvp], batched_jvp="same", vjp=[_eig_vjp],
    sparsity="dense",
    samples=[(nondefective(3, "real"),), (nondefective(3, "complex pair"),),
             through(lambda x, y: eig_p(_complex(x, y)), uniform(3, 3), uniform(3, 3)),
             through(lambda a: eig_parts(eig_p(a))[0], nondefective(3, "complex pair"))],
    doc="eigenvalues (row 0) and eigenvectors (rows 1..) of a general square matrix, complex; "
        "eigenvectors of unit norm with their largest component real, as NumPy's")
