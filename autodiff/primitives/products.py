"""Product primitives: matmul (operands of rank >= 2, leading axes broadcast) and einsum (an
explicit subscript string). dot, inner, outer, tensordot, vdot, trace... are built on them."""
import string

import numpy as np

from ..core import basis
from ..core.shortcuts import state as shortcuts
from ..core.tracer import Tracer
from .declaration import declare
from .elementwise import multiply
from .samples import uniform, call, through
from .broadcasting import broadcast_to_p
from .shape import getitem_p, index_add_p, reshape_p, transpose_p, shape_of


def swap_last(x):
    """x with its last two axes swapped (a matrix transpose, batched)."""
    nd = len(x.shape)
    return transpose_p(x, axes=tuple(range(nd - 2)) + (nd - 1, nd - 2))


# --- matmul ----------------------------------------------------------------------------------
def _matmul_impl(a, b):
    # an inner dimension of 1 is an outer product: broadcasting beats BLAS there (~1.6x)
    return np.multiply(a, b) if np.shape(a)[-1] == 1 else np.matmul(a, b)


def _reshapes_free(t):
    """Whether folding t's leading axes needs no copy (a tangent of a transposed value does not
    fold for free: copying it costs more than the batched product saves)."""
    if type(t) is not np.ndarray and not (isinstance(t, Tracer) and t.stages_values):
        return True
    return t.flags.c_contiguous  # a staged value's layout is fixed per recording


def _matmul_batched_a(t, nb, b):
    if shortcuts.basis_products and nb == 1:
        out = _basis_times(t, b)
        if out is not _MULTIPLY:
            return out
    if len(b.shape) == 2 and _reshapes_free(t):  # batched x one matrix: one product
        s = t.shape
        rows = reshape_p(t, shape=(int(np.prod(s[:-1])), s[-1]))
        return reshape_p(matmul_p(rows, b), shape=s[:-1] + (b.shape[-1],))
    return matmul_p(t, b)


def _matmul_batched_b(t, nb, a):
    if shortcuts.basis_products and nb == 1:
        out = _times_basis(a, t)
        if out is not _MULTIPLY:
            return out
    if len(a.shape) == 2 and t.shape[-1] == 1:  # matrix x batched vectors: one product
        nd = len(t.shape)
        cols = transpose_p(t, axes=(nd - 2,) + tuple(range(nd - 2)) + (nd - 1,))
        lead = cols.shape[1:]
        prod = matmul_p(a, reshape_p(cols, shape=(cols.shape[0], int(np.prod(lead)))))
        prod = reshape_p(prod, shape=(a.shape[0],) + lead)
        return transpose_p(prod, axes=tuple(range(1, nd - 1)) + (0, nd - 1))
    return matmul_p(a, t)


# The shortcut basis_products: a batch t of identity rows (core/basis.py) times a matrix, or a
# matrix times it, gathers and places the matrix's columns or rows instead of multiplying. The
# dense product of a finite matrix with ones and zeros is exact, so the result is the same but
# for the sign of zeros (BLAS's sums turn -0.0 into 0.0); a matrix with inf or NaN anywhere is
# multiplied as before (BLAS's 0 * inf spreads NaN along rows), and so is a matrix whose dtype
# the product would change (a cast is not a gather). The result has the dense product's memory
# layout, so that the sums downstream add in the same order.
_MULTIPLY = object()  # the shortcut does not apply: multiply


def _gatherable(m, t):
    """m (the other operand's value) can stand in for its product with the identity rows t."""
    if not (type(m) is np.ndarray or (isinstance(m, Tracer) and m.stages_values)) or \
            len(m.shape) != 2 or len(t.shape) != 3:
        return False
    if m.dtype.kind not in "fc" or np.result_type(m.dtype, t.dtype) != m.dtype:
        return False  # (a cast is not a gather; an object array has no isfinite)
    return bool(np.all(np.isfinite(m)))  # (under ad.jit a guard: the same choice at replays)


def _placed(block, index, shape):
    """`block` at `index` of a zero C-ordered array of `shape`. Always a new array: block is a
    view of the other operand (a user's matrix), which a result handed back, or a write into
    it, must never share. Where it is all of it and C-ordered already (a staged value's layout
    is fixed per recording), a copy as a product by 1.0 (exact, keeps the layout: one pass)."""
    if block.shape == shape and block.flags.c_contiguous:
        return multiply(block, 1.0)
    return index_add_p(block, index=index, shape=shape, lead=0)


def _identity_rows(t, m):
    """(first, stop, first column) of t's mark (basis.Basis.columns) where t is a batch of
    identity rows with some row nonzero and the matrix m can be gathered from; None (a
    symbolic zero) where every row is zero; _MULTIPLY where the shortcut does not apply."""
    mark = basis.known(t)
    if mark is None or len(m.shape) != 2 or not _gatherable(m, t):
        return _MULTIPLY
    first, stop, c0 = mark.columns()
    return (first, stop, c0) if first < stop else None


def _times_basis(a, t):
    """a @ t for identity rows t: row r of t is e_c (c = r + shift) of the flattened (n, p)
    matrix, so a @ t[r] is a zero (m, p) matrix but for column c % p, which is a[:, c // p].
    _MULTIPLY where the shortcut does not apply."""
    rows = _identity_rows(t, a)
    if type(rows) is not tuple:
        return rows
    first, stop, c0 = rows
    k, n, p = t.shape
    m = a.shape[0]
    if p == 1:  # (a @ vector): a's columns c0.. in order; laid out as the dense (m, k) @ ...
        cols = getitem_p(a, index=(slice(None), slice(c0, c0 + stop - first)), lead=0)
        cols = _placed(cols, (slice(None), slice(first, stop)), (m, k))
        return transpose_p(reshape_p(cols, shape=(m, k, 1)), axes=(1, 0, 2))
    c = np.arange(c0, c0 + stop - first)
    cols = transpose_p(getitem_p(a, index=(slice(None), c // p), lead=0), axes=(1, 0))
    return index_add_p(cols, index=(np.arange(first, stop), slice(None), c % p),
                       shape=(k, m, p), lead=0)


def _basis_times(t, b):
    """t @ b for identity rows t: row r of t is e_c of the flattened (m, n) matrix, so
    t[r] @ b is a zero (m, p) matrix but for row c // n, which is b[c % n]. _MULTIPLY where
    the shortcut does not apply."""
    rows = _identity_rows(t, b)
    if type(rows) is not tuple:
        return rows
    first, stop, c0 = rows
    k, m, n = t.shape
    p = b.shape[1]
    if m == 1:  # (vector @ b): b's rows c0.. in order
        picked = getitem_p(b, index=(slice(c0, c0 + stop - first),), lead=0)
        return reshape_p(_placed(picked, (slice(first, stop),), (k, p)), shape=(k, 1, p))
    c = np.arange(c0, c0 + stop - first)
    return index_add_p(getitem_p(b, index=(c % n,), lead=0),
                       index=(np.arange(first, stop), c // n), shape=(k, m, p), lead=0)


def matmul(a, b):
    """np.matmul / the @ operator, including vectors (promoted to matrices and back)."""
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        raise ValueError("matmul: input operands must not be scalars (0-d); use * instead")
    if sa[-1] != sb[-2 if len(sb) > 1 else 0]:
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned "
                         f"({sa[-1]} != {sb[-2 if len(sb) > 1 else 0]})")
    if len(sa) == 1:
        a = reshape_p(a, shape=(1,) + sa)
    if len(sb) == 1:
        b = reshape_p(b, shape=sb + (1,))
    out = matmul_p(a, b)
    if len(sa) == 1 or len(sb) == 1:
        so = shape_of(out)
        out = reshape_p(out, shape=so[:-2] + ((so[-2],) if len(sa) > 1 else ())
                        + ((so[-1],) if len(sb) > 1 else ()))
    return out


matmul_p = declare(
    "matmul", _matmul_impl, ("a", "b"), broadcasts=True,
    jvp=[lambda t, b: matmul_p(t, b), lambda t, a: matmul_p(a, t)],
    batched_jvp=[_matmul_batched_a, _matmul_batched_b],
    vjp=[lambda g, b: matmul_p(g, swap_last(b)), lambda g, a: matmul_p(swap_last(a), g)],
    sparsity="matmul", numpy=("matmul",), function=matmul,
    samples=[(uniform(2, 3), uniform(3, 4)), (uniform(3), uniform(3, 2)),
             (uniform(2, 2, 3), uniform(3)), (uniform(2, 3), uniform(4, 3, 2))],
    doc="a @ b for operands of rank >= 2 (the wrapper handles vectors)")


# --- einsum ----------------------------------------------------------------------------------
def _einsum_impl(*operands, spec):
    big = len(operands) > 2 or max(np.size(o) for o in operands) > 4096
    return np.einsum(spec, *operands, optimize=big)


def _parse(spec):
    ins, out = spec.split("->")
    return ins.split(","), out


def _unused_letters(spec, n):
    return "".join([c for c in string.ascii_letters if c not in spec][:n])


def _einsum_jvp(tangents, xs, spec):
    return _einsum_batched_jvp(tangents, 0, xs, spec)


def _einsum_batched_jvp(tangents, nb, xs, spec):
    """The sum of the products with one operand replaced by its tangent, whose batch axes get
    letters of their own."""
    ins, res = _parse(spec)
    batch = _unused_letters(spec, nb)
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        subs, ops = list(ins), list(xs)
        subs[i], ops[i] = batch + subs[i], t
        term = einsum_p(*ops, spec=",".join(subs) + "->" + batch + res)
        total = term if total is None else total + term
    return total


def _einsum_vjp(g, argnum, xs, spec):
    ins, res = _parse(spec)
    target = ins[argnum]
    shape = xs[argnum].shape
    others = "".join(s for k, s in enumerate(ins) if k != argnum) + res
    subs, ops, letters = [res], [g], []
    fresh = iter(_unused_letters(spec, len(target)))
    for k, s in enumerate(ins):
        if k != argnum:
            subs.append(s)
            ops.append(xs[k])
    for pos, c in enumerate(target):
        if c in target[:pos]:
            # a repeated index (a diagonal): route it through an identity matrix
            d = next(fresh)
            subs.append(c + d)
            ops.append(np.eye(shape[pos], dtype=g.dtype))
            letters.append(d)
        elif c not in others and target.count(c) == 1:
            letters.append(None)  # summed only inside operand i: broadcast back along it
        else:
            letters.append(c)
    kept = "".join(c for c in letters if c is not None)
    r = einsum_p(*ops, spec=",".join(subs) + "->" + kept)
    if None in letters:
        r = reshape_p(r, shape=tuple(1 if c is None else s for c, s in zip(letters, shape)))
        r = broadcast_to_p(r, shape=shape)
    return r


einsum_p = declare("einsum", _einsum_impl, ("*xs",), params=("spec",), jvp=_einsum_jvp,
                   batched_jvp=_einsum_batched_jvp, vjp=_einsum_vjp, sparsity="einsum",
                   samples=[call(uniform(2, 3), uniform(3, 2), spec="ij,jk->ik"),
                            call(uniform(3, 3), spec="ii->"),
                            call(uniform(2, 3), spec="ij->i"),
                            call(uniform(2, 3, 2), uniform(2, 2), spec="bij,bj->bi"),
                            through(lambda a, b: einsum("...j,j", a, b), uniform(2, 3),
                                    uniform(3))],
                   doc="np.einsum with an explicit spec")


def _explicit_spec(spec, shapes):
    """Rewrite an einsum spec without spaces, implicit output or ellipsis."""
    spec = spec.replace(" ", "")
    if "->" not in spec:
        letters = spec.replace(",", "").replace(".", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        if "..." in spec:
            out = "..." + out
        spec = spec + "->" + out
    ins, out = spec.split("->")
    ins = ins.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: spec {spec!r} names {len(ins)} operands, got {len(shapes)}")
    if "..." in spec:
        free = _unused_letters(spec, 26)
        rank = max(len(s) - (len(sub) - 3) for sub, s in zip(ins, shapes) if "..." in sub)
        ell = free[:rank]
        ins = [sub.replace("...", ell[rank - (len(s) - (len(sub) - 3)):]) if "..." in sub else sub
               for sub, s in zip(ins, shapes)]
        out = out.replace("...", ell)
    for sub, s in zip(ins, shapes):
        if len(sub) != len(s):
            raise ValueError(f"einsum: operand subscripts {sub!r} do not match shape {s}")
    return ",".join(ins) + "->" + out


def einsum(spec, *operands):
    """np.einsum with a subscript string (implicit and explicit output, ellipsis)."""
    if not isinstance(spec, str):
        raise NotImplementedError("einsum is supported with a subscript string only")
    return einsum_p(*operands, spec=_explicit_spec(spec, [shape_of(o) for o in operands]))

