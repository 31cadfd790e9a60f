"""A symmetric column coloring of a Hessian pattern: columns of one color are summed into one
seed direction, and every nonzero is recovered from the products H S, using symmetry.

Dense rows (high degree, like the hub of an arrowhead) get a color each. The remaining columns
get a star coloring (as ColPack computes for Hessians): by column index modulo a period when one
works (the banded case, checked for all rows at once; such a coloring is even distance-2), else
greedily. Every entry H[i, j] is then read either at (H S)[i, color j] or, by symmetry, at
(H S)[j, color i] (`recovery_plan`). The number of colors depends on the pattern's degrees, not
on n: banded matrices need about their bandwidth, an arrowhead two plus its hubs.
"""
from collections import namedtuple
from typing import TYPE_CHECKING, Optional, Tuple

import numpy as np

from ..progress import steps

if TYPE_CHECKING:  # scipy is optional: imported for the annotations only
    import scipy.sparse

Coloring = namedtuple("Coloring", "colors num_colors dense")


def _dense_threshold(degrees):
    """The degree above which making a vertex dense (its own color) is cheaper than the
    at-least-degree colors it forces on its neighbours: minimizes #dense + threshold + 1."""
    d = np.sort(degrees)[::-1]
    n = d.size
    best, best_t = n, -1
    for k in range(min(n, 4096) + 1):  # k densest vertices made dense
        t = d[k] if k < n else 0
        cost = k + t + 1
        if cost < best:
            best, best_t = cost, t
    return best_t


def _periodic_colors(P, dense):
    """The fast path for banded-like patterns: color j -> j mod p for the smallest p (up to
    about twice the largest row count) under which no non-dense row meets a color twice.
    Checked for all rows at once; None if no period works."""
    coo = P.tocoo()
    keep = ~dense[coo.row] & ~dense[coo.col]
    rows, cols = coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64)
    if rows.size == 0:
        return np.zeros(P.shape[0], dtype=np.int64)
    widest = int(np.bincount(rows).max())
    for p in range(widest, 2 * widest + 2):
        keys = np.sort(rows * p + cols % p)
        if not np.any(keys[1:] == keys[:-1]):
            return np.arange(P.shape[0], dtype=np.int64) % p
    return None


def _greedy_colors(nbrs, order, first, star):
    """Greedy coloring in `order`, colors from `first` on. star=False: distance-2 (vertices
    within two steps differ). star=True: a star coloring -- adjacent vertices differ and no
    path on four vertices has only two colors, Coleman and Moré's condition for reading every
    entry directly, using symmetry (after Gebremedhin, Manne and Pothen, "What color is your
    Jacobian?", 2005). Two vertices with a common neighbour not yet colored get different
    colors, which rules out the paths with the new vertex inside; `seen[x][c]`, how many of x's
    colored neighbours have color c, answers "is there a path v-w-x-y with color(y) =
    color(w)?" without a third loop."""
    colors = [-1] * len(nbrs)
    seen = [{} for _ in nbrs] if star else None
    kind = "star" if star else "distance-2"
    for v in steps(order, f"color_hessian: {kind} coloring of {len(nbrs)} columns",
                   unit="column"):  # long for large n: reported when ad.progress is on
        forbidden = set()
        for w in nbrs[v]:
            cw = colors[w]
            if cw >= 0:
                forbidden.add(cw)
            for x in nbrs[w]:
                cx = colors[x]
                if x == v or cx < 0:
                    continue
                if not star or cw < 0 or seen[x].get(cw, 0) >= 2:  # y != w colored cw
                    forbidden.add(cx)
        c = first
        while c in forbidden:
            c += 1
        colors[v] = c
        if star:
            for u in nbrs[v]:
                seen[u][c] = seen[u].get(c, 0) + 1
    return np.array(colors, dtype=np.int64)


def _greedy_star_colors(P, dense, first):
    """The fewer colors of a greedy star coloring and a greedy distance-2 coloring (which is a
    star coloring too) of the non-dense vertices, largest degree first: neither heuristic wins
    on every pattern (random graphs: star, by up to half; some stencils: distance-2)."""
    n = P.shape[0]
    indptr, indices, dense_l = P.indptr.tolist(), P.indices.tolist(), dense.tolist()
    nbrs = [[w for w in indices[indptr[v]:indptr[v + 1]] if w != v and not dense_l[w]]
            if not dense_l[v] else [] for v in range(n)]
    order = sorted((v for v in range(n) if not dense_l[v]), key=lambda v: -len(nbrs[v]))
    candidates = [_greedy_colors(nbrs, order, first, star) for star in (True, False)]
    return min(candidates, key=lambda c: c.max(initial=first))


def color_hessian(pattern: "scipy.sparse.spmatrix") -> "Coloring":
    """A Coloring (colors per column, their count, dense-vertex mask) of a symmetric pattern."""
    P = pattern.tocsr().astype(bool)
    n = P.shape[0]
    degrees = np.diff(P.indptr) - P.diagonal().astype(int)
    dense = degrees > _dense_threshold(degrees)
    colors = np.full(n, -1, dtype=np.int64)
    colors[dense] = np.arange(int(dense.sum()))
    first = int(dense.sum())
    periodic = _periodic_colors(P, dense)
    if periodic is not None:
        colors[~dense] = first + periodic[~dense]
    else:
        colors[~dense] = _greedy_star_colors(P, dense, first)[~dense]
    used = np.flatnonzero(np.bincount(colors, minlength=1))  # renumber densely: 0 .. k - 1
    return Coloring(np.searchsorted(used, colors), used.size, dense)


def seed_matrix(coloring: "Coloring") -> np.ndarray:
    """S (n x colors): column c is the sum of the unit vectors of the columns colored c."""
    n = coloring.colors.size
    S = np.zeros((n, coloring.num_colors))
    S[np.arange(n), coloring.colors] = 1.0
    return S


def recovery_plan(pattern: "scipy.sparse.spmatrix",
                  coloring: "Coloring") -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where each entry of the pattern is read in HS = H @ seed_matrix(coloring): (rows, cols,
    HS rows, HS columns) of the entries, in the pattern's COO order. Made once per pattern.

    (HS)[i, c] sums row i over the columns colored c, so H[i, j] is read at (HS)[i, color j]
    when j is the only column of row i with its color, else, by symmetry, at (HS)[j, color i];
    a star coloring guarantees one of the two for every entry."""
    coo = pattern.tocoo()
    rows, cols = coo.row.astype(np.int64), coo.col.astype(np.int64)
    colors, k = coloring.colors, max(coloring.num_colors, 1)
    keys, count = np.unique(rows * k + colors[cols], return_counts=True)  # (row, color) pairs
    direct = count[np.searchsorted(keys, rows * k + colors[cols])] == 1
    mirror = cols * k + colors[rows]  # H[i, j] read from row j, in the column of i's color
    at = np.minimum(np.searchsorted(keys, mirror), max(keys.size - 1, 0))
    mirrored = (keys[at] == mirror) & (count[at] == 1) if keys.size else direct
    if not np.all(direct | mirrored):
        raise ValueError("the coloring does not determine this pattern's Hessian (entries share "
                         "a row and a color both ways); it was not made for this pattern")
    return (rows, cols, np.where(direct, rows, cols),
            np.where(direct, colors[cols], colors[rows]))


def recover(pattern: "scipy.sparse.spmatrix", coloring: "Coloring", HS: np.ndarray,
            plan: Optional[Tuple[np.ndarray, ...]] = None) -> "scipy.sparse.csr_matrix":
    """The sparse Hessian (CSR) from the compressed products HS = H @ seed_matrix(coloring)."""
    import scipy.sparse as sp
    rows, cols, at_rows, at_colors = plan or recovery_plan(pattern, coloring)
    return sp.csr_matrix((HS[at_rows, at_colors], (rows, cols)), shape=pattern.shape)
