"""Linear-algebra primitives on the last two axes (leading axes broadcast): inv, solve, the
log-absolute-determinant (slogdet and det build on it), cholesky, eigh and svd."""
import numpy as np

from ..core.tracer import bottom
from .declaration import declare
from .samples import uniform, well_conditioned, spd, distinct_spectrum, through
from .products import matmul_p, swap_last
from .reductions import sum_p
from .elementwise import where, absolute
from .shape import reshape_p, shape_of, getitem, concatenate, reshape

# The rules work on stacks of matrices (leading axes broadcast), so a batch of tangents in
# front is one more leading axis: the one-tangent rules serve batches as they are.
inv_p = declare("inv", np.linalg.inv, ("a",), batched_jvp="same",
                jvp=[lambda t, out: -matmul_p(matmul_p(out, t), out)],
                vjp=[lambda g, out: -matmul_p(matmul_p(swap_last(out), g), swap_last(out))],
                sparsity="dense", samples=[(well_conditioned(3),)])


def _solve_vjp_b(g, a):
    return solve_p(swap_last(a), g)


solve_p = declare("solve", np.linalg.solve, ("a", "b"), broadcasts=True, batched_jvp="same",
                  jvp=[lambda t, out, a: -solve_p(a, matmul_p(t, out)),
                       lambda t, a: solve_p(a, t)],
                  vjp=[lambda g, out, a: -matmul_p(_solve_vjp_b(g, a), swap_last(out)),
                       _solve_vjp_b],
                  sparsity="dense",
                  samples=[(well_conditioned(3), uniform(3, 1)),
                           (well_conditioned(3), uniform(3, 2))],
                  doc="solve(a, b) for b of rank >= 2 (the wrapper handles vectors)")


def _logabsdet_jvp(t, a):
    nd = len(t.shape)
    return sum_p(swap_last(inv_p(a)) * t, axis=(nd - 2, nd - 1), keepdims=False)


def _logabsdet_vjp(g, a):
    return reshape_p(g, shape=shape_of(g) + (1, 1)) * swap_last(inv_p(a))


logabsdet_p = declare("logabsdet", lambda a: np.linalg.slogdet(a)[1], ("a",),
                      jvp=[_logabsdet_jvp], batched_jvp="same", vjp=[_logabsdet_vjp],
                      sparsity="dense", samples=[(well_conditioned(3),)],
                      doc="log |det a| (the second output of np.linalg.slogdet)")


# The sign of det a (the first output of np.linalg.slogdet): piecewise constant, so its
# derivative is zero. A primitive, so that ad.jit records it (a replay recomputes the sign)
# rather than read a's value in Python.
det_sign_p = declare("det_sign", lambda a: np.linalg.slogdet(a)[0], ("a",),
                     jvp=[lambda t: None], vjp=[lambda g: None], sparsity="dense",
                     samples=[(well_conditioned(3),)],
                     doc="the sign of det a (the first output of np.linalg.slogdet)")


# --- Cholesky ----------------------------------------------------------------------------------
# np.linalg.cholesky reads only the lower triangle of a, so its derivative is taken with respect
# to that triangle: a perturbation t acts as its symmetric lower-triangle reading
# tril(t) + tril(t, -1)^T. With X = L^-1 M L^-T, dL = L Phi(X), Phi = lower triangle with the
# diagonal halved (Murray 2016, "Differentiation of the Cholesky decomposition").
def _phi(n):
    """Lower triangle with the diagonal halved, as a mask."""
    return np.tril(np.ones((n, n))) - 0.5 * np.eye(n)


def _lower_reading(t):
    """The symmetric matrix a perturbation t of a means to a routine reading a's lower triangle:
    tril(t) + tril(t, -1)^T."""
    n = t.shape[-1]
    return t * np.tril(np.ones((n, n))) + swap_last(t * np.tril(np.ones((n, n)), -1))


def _lower_reading_adjoint(m):
    """The adjoint of `_lower_reading`: tril(m) + tril(m^T, -1)."""
    n = m.shape[-1]
    return m * np.tril(np.ones((n, n))) + swap_last(m) * np.tril(np.ones((n, n)), -1)


def _sandwich(L, M):
    """L^-1 M L^-T by two solves (no inverse formed)."""
    return swap_last(solve_p(L, swap_last(solve_p(L, M))))


def _cholesky_jvp(t, out, a_shape):
    return matmul_p(out, _sandwich(out, _lower_reading(t)) * _phi(a_shape[-1]))


def _cholesky_vjp(g, out, a_shape):
    p = matmul_p(swap_last(out), g) * _phi(a_shape[-1])
    lt = swap_last(out)
    return _lower_reading_adjoint(swap_last(solve_p(lt, swap_last(solve_p(lt, p)))))  # L^-T P L^-1


cholesky_p = declare("cholesky", np.linalg.cholesky, ("a",), jvp=[_cholesky_jvp],
                     batched_jvp="same", vjp=[_cholesky_vjp], sparsity="dense",
                     samples=[(spd(3),),  # and a perturbation of both triangles:
                              through(lambda a: cholesky_p(a + swap_last(a)), spd(3) * 0.5)],
                     doc="the lower Cholesky factor of a symmetric positive-definite matrix")


def row(s):
    """A vector as a row that scales the columns of a matrix: x * row(s) is x diag(s), and
    row(s) * eye is diag(s) (leading axes broadcast)."""
    return reshape(s, shape_of(s)[:-1] + (1, shape_of(s)[-1]))


def _col(s):
    """A vector as a column: col(s) * x is diag(s) x."""
    return reshape(s, shape_of(s) + (1,))


def _diagonal(m):
    """The diagonal of (a stack of) square matrices, as a vector (differentiable)."""
    return sum_p(m * np.eye(m.shape[-1]), axis=(len(m.shape) - 1,), keepdims=False)


def _quotient(num, den, used=None, zero=None):
    """num / den for the 1 / (lambda_j - lambda_i) and 1 / s factors of eigh and svd, where den
    == 0 at coinciding eigenvalues (singular values) or at a zero singular value. There the
    quotient is 0 where `used` (default num) is 0: the outputs being differentiated do not use
    the eigenvectors (singular vectors) concerned, e.g. functions of the eigenvalues or singular
    values alone, so 0 * inf must not turn their derivatives into NaN. Elsewhere it is NaN: the
    eigenvectors of a repeated eigenvalue are not unique, so they have no derivative."""
    zero = bottom(den) == 0 if zero is None else zero
    if not zero.any():
        return num / den
    fill = np.where(zero & (bottom(num if used is None else used) != 0), np.nan, 0.0)
    return where(zero, fill, num / where(zero, 1.0, den))


# --- symmetric eigendecomposition ---------------------------------------------------------------
# One output holding both results: row 0 the eigenvalues (ascending), rows 1.. the eigenvectors
# as columns, as np.linalg.eigh returns them. Like cholesky, it reads a's lower triangle. With
# K = V^T M V: d lambda = diag(K) and dV = V (F o K), F_ij = 1 / (lambda_j - lambda_i) off the
# diagonal. At repeated eigenvalues d lambda_i = v_i^T M v_i holds for the basis eigh chose (a
# symmetric function of the eigenvalues then gets its true derivative), while F is 1 / 0: see
# `_quotient` for what the eigenvector parts give there.
def _eigh_impl(a):
    w, v = np.linalg.eigh(a)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eigh_parts(out):
    return getitem(out, (Ellipsis, 0, slice(None))), getitem(out, (Ellipsis, slice(1, None),
                                                                    slice(None)))


def _gap_quotient(num, w, used=None):
    """num_ij / (w_j - w_i) off the diagonal, 0 on it (num's diagonal is ignored); see
    `_quotient` for w_i == w_j."""
    eye = np.eye(w.shape[-1])
    used = None if used is None else used * (1.0 - eye)
    gaps = row(w) - _col(w) + eye
    return _quotient(num * (1.0 - eye), gaps, used, _ties(bottom(gaps), bottom(w)))


TIE = np.sqrt(np.finfo(float).eps)  # relative: closer eigenvalues count as equal


def _ties(gaps, w):
    """Where w_i and w_j are equal up to TIE of the largest |w|: there a 1 / (w_j - w_i) would be
    round-off amplified beyond 1 / TIE (their computed difference is noise), so the pair is
    treated as a tie (`_quotient`) rather than give a finite, wrong derivative."""
    scale = np.max(np.abs(w), axis=-1, keepdims=True)[..., None]
    return np.abs(gaps) <= TIE * scale


def _touched(g):
    """Nonzero at (i, j) where the cotangent g of a matrix of eigenvectors (singular vectors)
    touches column i or column j (plain values; staged under ad.jit, see core.tracer.bottom)."""
    c = np.sum(np.abs(bottom(g)), axis=-2)
    return c[..., :, None] + c[..., None, :]


def _eigh_jvp(t, out):
    w, v = _eigh_parts(out)
    k = matmul_p(matmul_p(swap_last(v), _lower_reading(t)), v)
    return concatenate([row(_diagonal(k)), matmul_p(v, _gap_quotient(k, w))], axis=-2)


def _eigh_vjp(g, out, a_shape):
    # Only the symmetric part of V B V^T matters to `_lower_reading_adjoint`; for F o (V^T gV)
    # that is F o N, N the antisymmetric part of V^T gV. At a repeated eigenvalue N_ij = 0 is
    # not enough (V[0, 0] at the identity has N = 0 but jumps): gV must not touch eigenvectors
    # i or j at all, as for a function of the eigenvalues alone.
    w, v = _eigh_parts(out)
    gw, gv = _eigh_parts(g)
    vtgv = matmul_p(swap_last(v), gv)
    b = row(gw) * np.eye(a_shape[-1]) + _gap_quotient(0.5 * (vtgv - swap_last(vtgv)), w,
                                                      _touched(gv))
    return _lower_reading_adjoint(matmul_p(matmul_p(v, b), swap_last(v)))


def _eigh_invariants(out):
    """Outputs of eigh that do not depend on the eigenvectors' signs."""
    w, v = _eigh_parts(out)
    return w * 2.0 + sum_p(absolute(v), axis=(0,), keepdims=False)


eigh_p = declare("eigh", _eigh_impl, ("a",), jvp=[_eigh_jvp], batched_jvp="same",
                 vjp=[_eigh_vjp], sparsity="dense",
                 samples=[through(lambda a: _eigh_invariants(eigh_p(a)), distinct_spectrum(3))],
                 doc="eigenvalues (row 0) and eigenvectors (rows 1..) of a symmetric matrix")


# --- singular value decomposition ---------------------------------------------------------------
# The thin SVD a = U diag(s) V^T (k = min(m, n) singular values, descending), packed in one output
# of shape (k, m + 1 + n): row i holds U[:, i], s[i] and V[:, i]. For distinct nonzero singular
# values (Townsend 2016, "Differentiating the singular value decomposition"), with P = U^T dA V
# and F_ij = 1 / (s_j^2 - s_i^2) off the diagonal:
#   ds = diag(P),  dU = U (F o (P S + S P^T)) + (I - U U^T) dA V S^-1,
#   dV = V (F o (S P + P^T S)) + (I - V V^T) dA^T U S^-1.
def _svd_impl(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.concatenate([np.swapaxes(u, -1, -2), s[..., None], vh], axis=-1)


def svd_parts(out, m):
    """(U, s, V) from the packed output, for an input with m rows."""
    return (swap_last(getitem(out, (Ellipsis, slice(None), slice(0, m)))),
            getitem(out, (Ellipsis, slice(None), m)),
            swap_last(getitem(out, (Ellipsis, slice(None), slice(m + 1, None)))))


def _svd_pack(u, s, v):
    return concatenate([swap_last(u), _col(s), swap_last(v)], axis=-1)


def _svd_jvp(t, out, a_shape):
    u, s, v = svd_parts(out, a_shape[-2])
    p = matmul_p(matmul_p(swap_last(u), t), v)
    ds = _diagonal(p)
    rotation, turn = _split_by_gap(p, s)
    du = matmul_p(u, rotation + turn) + _quotient(matmul_p(t, v) - matmul_p(u, p), row(s))
    dv = matmul_p(v, rotation - turn) \
        + _quotient(matmul_p(swap_last(t), u) - matmul_p(v, swap_last(p)), row(s))
    return _svd_pack(du, ds, dv)


def _split_by_gap(p, s, used=None):
    """F o (P S + S P^T) of Townsend's dU, written as sym(P)_ij / (s_j - s_i) +
    asym(P)_ij / (s_j + s_i) (and dV's with the second term negated): at equal singular values
    only the first is 1 / 0 (the singular vectors may rotate within their subspace), while the
    second stays finite and must not be lost with it (the nuclear norm's Hessian needs it)."""
    sym, asym = 0.5 * (p + swap_last(p)), 0.5 * (p - swap_last(p))
    eye = np.eye(s.shape[-1])
    return _gap_quotient(sym, s, used), _over_s(asym * (1.0 - eye), row(s) + _col(s), s)


def _over_s(num, den, s):
    """num / (s_i + s_j): a sum that is zero up to round-off (two numerically zero singular
    values) counts as zero (`_quotient`), as equal values count as ties. (The 1 / s_i terms keep
    exact zeros only: there a huge quotient times a cotangent of the size of s_i, as of
    sum(s ** 2), is the right finite product, where NaN would spread.)"""
    return _quotient(num, den, zero=_ties(bottom(den), bottom(s)))


def _svd_vjp(g, out, a_shape):
    u, s, v = svd_parts(out, a_shape[-2])
    gu, gs, gv = svd_parts(g, a_shape[-2])
    k = s.shape[-1]
    utgu, vtgv = matmul_p(swap_last(u), gu), matmul_p(swap_last(v), gv)
    # (F o Au) S + S (F o Av), Au and Av the antisymmetric U^T gU - gU^T U and its V twin, split
    # as in `_split_by_gap` (transposed): Au + Av over s_j - s_i, Au - Av over s_j + s_i
    au, av = utgu - swap_last(utgu), vtgv - swap_last(vtgv)
    eye = np.eye(k)
    inner = _gap_quotient(0.5 * (au + av), s, _touched(gu) + _touched(gv)) \
        + _over_s(0.5 * (au - av) * (1.0 - eye), row(s) + _col(s), s) + row(gs) * eye
    outside_u = _quotient(gu - matmul_p(u, utgu), row(s))  # (I - U U^T) gU S^-1
    outside_v = _quotient(gv - matmul_p(v, vtgv), row(s))  # (I - V V^T) gV S^-1
    return matmul_p(matmul_p(u, inner) + outside_u, swap_last(v)) \
        + matmul_p(u, swap_last(outside_v))


def _svd_invariants(out, m):
    """Outputs of an SVD (of an input with m rows) that do not depend on the singular vectors'
    signs."""
    u, s, v = svd_parts(out, m)
    return concatenate([s * 2.0, reshape(matmul_p(u, swap_last(v)), (-1,)),
                        sum_p(absolute(u), axis=(0,), keepdims=False),
                        sum_p(absolute(v), axis=(0,), keepdims=False)])


svd_p = declare("svd", _svd_impl, ("a",), jvp=[_svd_jvp], batched_jvp="same", vjp=[_svd_vjp],
                sparsity="dense",
                samples=[through(lambda a: _svd_invariants(svd_p(a), 4), uniform(4, 3)),
                         through(lambda a: _svd_invariants(svd_p(a), 2), uniform(2, 3)),
                         through(lambda a: svd_parts(svd_p(a), 3)[1], uniform(2, 3, 3))],
                doc="the thin SVD packed: row i is U[:, i], s[i], V[:, i] (s descending)")
