"""Hessian sparsity by tracing index sets, not by sampling numbers.

Every traced value carries a sparse boolean matrix D (its elements x the inputs): which inputs
each element depends on. Linear primitives combine rows of D; each nonlinear interaction adds
to the Hessian pattern the input pairs it couples: a nonlinear unary op on an element with
dependencies d adds d x d, a product x*y adds dx x dy. The result is a superset of the true
pattern (never missing an entry), exact for elementwise, indexing, reduction, matmul and einsum
code (up to a few million iteration points; beyond, dense); dense linear algebra (inv, solve,
det, cholesky, eigh, svd) couples everything it reads.

Each primitive declares its structure (`declare(..., sparsity=...)`), one of the keys of RULES:
  elementwise-linear     piecewise linear in each argument (add, abs, where, ...): no coupling
  elementwise-nonlinear  a nonlinear function of its arguments: couples all it reads
  elementwise-product    x * y: couples x with y;  elementwise-quotient  x / y: y with both
  elementwise-power      x ** y: as nonlinear, except for a constant exponent 0 or 1
  index_map              each output element is one input element (reshape, getitem, ...)
  scatter                index_add: input elements added into output positions
  reduction              sum / max / min over axes;  scan  cumsum along an axis
  matmul, einsum         sums of products;  dense  couples everything it reads (linalg)
"""
from typing import TYPE_CHECKING

import numpy as np

from ..core.tracer import Trace, Tracer
from .._optional import require_scipy
from ..primitives.shape import getitem_p
from ..typing import ArrayLike, ScalarFun

if TYPE_CHECKING:  # scipy is optional: imported for the annotations only
    import scipy.sparse

MAX_DENSE_ENTRIES = 50_000_000
MAX_ENUMERATED = 4_000_000  # iteration points of an einsum / matmul enumerated exactly


class SparsityTracer(Tracer):
    __slots__ = ("deps",)

    def __init__(self, trace, value, deps):
        self._trace, self.value, self.deps = trace, value, deps


class SparsityTrace(Trace):
    """Propagates dependency patterns; `hessian_terms` collects coupled input pairs."""

    __slots__ = ("n", "sp", "hessian_terms")

    def __init__(self, n):
        super().__init__()
        self.n = n
        self.sp = require_scipy().sparse
        self.hessian_terms = []

    def deps_of(self, a):
        if isinstance(a, SparsityTracer) and a._trace is self:
            return a.deps
        if isinstance(a, Tracer):
            raise NotImplementedError("hessian_sparsity must be the outermost transformation")
        return self.sp.csr_matrix((int(np.size(a)), self.n), dtype=bool)

    def process(self, prim, args, params):
        values = [a.value if isinstance(a, SparsityTracer) and a._trace is self else a
                  for a in args]
        deps = [self.deps_of(a) for a in args]
        out = prim.impl(*values, **params)
        rule = RULES.get(prim.sparsity)
        if rule is None:
            raise NotImplementedError(
                f"hessian_sparsity: primitive {prim.name!r} declares no sparsity structure "
                f"(sparsity={prim.sparsity!r}; one of {', '.join(sorted(RULES))})")
        d_out = rule(self, prim, values, deps, out, params)
        return SparsityTracer(self, out, d_out.tocsr())

    def couple(self, a, b):
        """Record that the inputs in pattern a interact nonlinearly with those in b, row by row."""
        if a.nnz and b.nnz:
            self.hessian_terms.append((a.T.astype(np.int8) @ b.astype(np.int8)).astype(bool))


def _selection(sp, positions, rows, n_cols):
    """A 0/1 matrix S (rows x n_cols) with S[positions[j], j] = 1."""
    positions = np.asarray(positions).ravel()
    return sp.csr_matrix((np.ones(positions.size, dtype=np.int8),
                          (positions, np.arange(positions.size))), shape=(rows, n_cols))


def _apply(S, D):
    return (S @ D.astype(np.int8)).astype(bool)


def _index_map(tr, prim, values, deps, out, params):
    """The primitive applied to the arguments' element numbers tells where each output element
    comes from."""
    offsets = np.cumsum([0] + [np.size(v) for v in values])
    ids = [np.arange(o, o + np.size(v)).reshape(np.shape(v)) for o, v in zip(offsets, values)]
    stacked = deps[0] if len(deps) == 1 else tr.sp.vstack(deps, format="csr")
    return stacked[np.asarray(prim.impl(*ids, **params)).ravel()]


def _index_add(tr, prim, values, deps, out, params):
    shape, index, lead = params["shape"], params["index"], params["lead"]
    positions = getitem_p.impl(np.arange(int(np.prod(shape))).reshape(shape), index, lead)
    return _apply(_selection(tr.sp, positions, int(np.prod(shape)), np.size(values[0])), deps[0])


def _reduction(tr, prim, values, deps, out, params):
    x = values[0]
    kept = tuple(1 if i in params["axis"] else s for i, s in enumerate(np.shape(x)))
    positions = np.broadcast_to(np.arange(int(np.prod(kept))).reshape(kept), np.shape(x))
    return _apply(_selection(tr.sp, positions, int(np.prod(kept)), np.size(x)), deps[0])


def _cumsum(tr, prim, values, deps, out, params):
    x, axis = values[0], params["axis"]
    ids = np.moveaxis(np.arange(np.size(x)).reshape(np.shape(x)), axis, -1)
    lines = ids.reshape(-1, ids.shape[-1])
    i, j = np.tril_indices(lines.shape[1])
    rows, cols = lines[:, i].ravel(), lines[:, j].ravel()
    S = tr.sp.csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)),
                         shape=(np.size(x), np.size(x)))
    return _apply(S, deps[0])


def _broadcast_deps(tr, value, d, out_shape):
    ids = np.arange(np.size(value)).reshape(np.shape(value))
    return d[np.broadcast_to(ids, out_shape).ravel()]


def _elementwise(tr, prim, values, deps, out, params):
    shape = np.shape(out)
    ds = [_broadcast_deps(tr, v, d, shape) for v, d in zip(values, deps)]
    total = ds[0]  # (a constant argument, such as where's condition, depends on nothing)
    for d in ds[1:]:
        total = total + d
    kind = prim.sparsity
    if kind == "elementwise-linear":
        pass
    elif kind == "elementwise-product":
        tr.couple(ds[0], ds[1])
        tr.couple(ds[1], ds[0])
    elif kind == "elementwise-quotient":  # x / y is linear in x
        tr.couple(ds[1], total)
        tr.couple(total, ds[1])
    elif kind == "elementwise-power" and not deps[1].nnz and np.ndim(values[1]) == 0 \
            and values[1] in (0, 1):
        pass
    else:  # nonlinear; power with other exponents: every pair may couple
        tr.couple(total, total)
    return total


def _contraction(tr, values, deps, ids, out_ids):
    """Exact for any sum of products: `ids[k]` and `out_ids` broadcast over the iteration space,
    each point of which reads element ids[k] of every operand k and adds their product into
    element out_ids. Points where a constant operand is zero are dropped."""
    shape = np.broadcast_shapes(out_ids.shape, *(i.shape for i in ids))
    keep = np.ones(shape, dtype=bool)
    for v, d, i in zip(values, deps, ids):
        if not d.nnz:
            keep &= np.broadcast_to(np.asarray(v).ravel()[i] != 0, shape)
    points = [np.broadcast_to(i, shape)[keep] for i in ids]
    at = np.broadcast_to(out_ids, shape)[keep]
    size, sp = int(out_ids.size), tr.sp
    d_out = sp.csr_matrix((size, tr.n), dtype=bool)
    for k, (v, d) in enumerate(zip(values, deps)):
        if d.nnz:
            pairs = np.unique(np.stack([at, points[k]]), axis=1)
            d_out = d_out + _apply(_selection(sp, pairs[0], size, pairs.shape[1]), d[pairs[1]])
            for j in range(k + 1, len(values)):  # a product couples every two traced factors
                if deps[j].nnz:
                    both = np.unique(np.stack([points[k], points[j]]), axis=1)
                    tr.couple(d[both[0]], deps[j][both[1]])
                    tr.couple(deps[j][both[1]], d[both[0]])
    return d_out


def _einsum(tr, prim, values, deps, out, params):
    ins, res = params["spec"].split("->")
    ins = ins.split(",")
    sizes = {c: n for sub, v in zip(ins, values) for c, n in zip(sub, np.shape(v))}
    letters = sorted(sizes)
    if int(np.prod([sizes[c] for c in letters])) > MAX_ENUMERATED:
        return _dense(tr, prim, values, deps, out, params)
    grid = {c: np.arange(sizes[c]).reshape([-1 if c == l else 1 for l in letters])
            for c in letters}

    def ids_of(sub, shape):
        flat = np.ravel_multi_index(tuple(grid[c] for c in sub), shape) if sub else \
            np.zeros([1] * len(letters), dtype=np.int64)
        return np.asarray(flat)
    ids = [ids_of(sub, np.shape(v)) for sub, v in zip(ins, values)]
    return _contraction(tr, values, deps, ids, ids_of(res, np.shape(out)))


def _matmul(tr, prim, values, deps, out, params):
    a, b = values
    sp = tr.sp
    if np.ndim(a) == 2 and np.ndim(b) == 2 and not (deps[0].nnz and deps[1].nnz):
        (n, m), p = np.shape(a), np.shape(b)[1]
        if deps[1].nnz == 0:  # traced a @ constant b: (i,k) reads a[i,j] where b[j,k] != 0
            return _apply(sp.kron(sp.eye(n, dtype=np.int8), sp.csr_matrix(b != 0).T), deps[0])
        # constant a @ traced b: (i,k) reads b[j,k] where a[i,j] != 0
        return _apply(sp.kron(sp.csr_matrix(a != 0), sp.eye(p, dtype=np.int8)), deps[1])
    # out[..., i, k] = sum over j of a[..., i, j] b[..., j, k], leading axes broadcast
    ida = np.arange(np.size(a)).reshape(np.shape(a))[..., :, :, None]
    idb = np.arange(np.size(b)).reshape(np.shape(b))[..., None, :, :]
    ido = np.arange(np.size(out)).reshape(np.shape(out))[..., :, None, :]
    if int(np.prod(np.broadcast_shapes(ida.shape, idb.shape))) > MAX_ENUMERATED:
        return _dense(tr, prim, values, deps, out, params)
    return _contraction(tr, values, deps, [ida, idb], ido)


def _dense(tr, prim, values, deps, out, params):
    union = np.zeros(tr.n, dtype=bool)
    for d in deps:
        union[d.indices] = True
    size = int(np.size(out))
    if size * int(union.sum()) > MAX_DENSE_ENTRIES:
        raise NotImplementedError(f"hessian_sparsity: {prim.name!r} on large traced inputs "
                                  "would make the pattern dense; compute the dense Hessian")
    row = tr.sp.csr_matrix(union.reshape(1, -1))
    tr.couple(row, row)
    return tr.sp.vstack([row] * size, format="csr") if size else row[:0]


RULES = {**{f"elementwise-{k}": _elementwise
            for k in ("linear", "nonlinear", "product", "quotient", "power")},
         "index_map": _index_map, "scatter": _index_add, "reduction": _reduction,
         "scan": _cumsum, "matmul": _matmul, "einsum": _einsum, "dense": _dense}


def hessian_sparsity(f: ScalarFun, x: ArrayLike) -> "scipy.sparse.csr_matrix":
    """The sparsity pattern of the Hessian of scalar f at x (a flat vector), as a symmetric
    scipy.sparse CSR boolean matrix, found by tracing which inputs meet in nonlinear operations.
    It holds at x: it depends on x through control flow (branches on comparisons) and through
    the zeros of constants in matmul / einsum (values taken with stop_gradient), so reuse at
    another x must be checked, as SparseHessian does."""
    sp = require_scipy().sparse
    if np.iscomplexobj(x):  # the cast below would drop the imaginary part
        raise TypeError("hessian_sparsity: complex inputs are not supported; use the real and "
                        "imaginary parts as real inputs (docs/complex.md)")
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"hessian_sparsity expects a flat vector x, got shape {x.shape}")
    n = x.size
    trace = SparsityTrace(n)
    out = f(SparsityTracer(trace, x, sp.identity(n, dtype=bool, format="csr")))
    if np.ndim(out.value if isinstance(out, SparsityTracer) else out) != 0:
        raise TypeError("hessian_sparsity requires a function with a scalar output")
    H = sp.csr_matrix((n, n), dtype=bool)
    for term in trace.hessian_terms:
        H = H + term
    H = (H + H.T).astype(bool).tocsr()
    H.sort_indices()
    return H
