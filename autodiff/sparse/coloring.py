"""A symmetric column coloring of a Hessian pattern: columns of one color are summed into one
seed direction, and every nonzero is recovered from the products H S, using symmetry.

Dense rows (high degree, like the hub of an arrowhead) get a color each; the remaining columns
are colored so that no two of them share a color when they meet in a row of a non-dense vertex
(distance-2 coloring of the sparse part): by column index modulo a period when one works (the
banded case, checked for all rows at once), else greedily, largest degree first. An entry H[i, j] is then
read at (H S)[i, color j] unless i is dense and j is not, in which case it is read, by symmetry,
at (H S)[j, color i]. The number of colors depends on the pattern's degrees, not on n: banded
matrices need about their bandwidth, an arrowhead two.
"""
from collections import namedtuple

import numpy as np

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


def color_hessian(pattern):
    """A Coloring (colors per column, their count, dense-vertex mask) of a symmetric pattern."""
    P = pattern.tocsr().astype(bool)
    n = P.shape[0]
    indptr, indices = P.indptr, P.indices
    degrees = np.diff(indptr) - P.diagonal().astype(int)
    dense = degrees > _dense_threshold(degrees)
    colors = np.full(n, -1, dtype=np.int64)
    next_color = 0
    for v in np.flatnonzero(dense):
        colors[v] = next_color
        next_color += 1
    sparse_colors_start = next_color
    periodic = _periodic_colors(P, dense)
    if periodic is not None:
        colors[~dense] = sparse_colors_start + periodic[~dense]
        used = np.flatnonzero(np.bincount(colors))  # renumber densely: 0 .. colors - 1
        return Coloring(np.searchsorted(used, colors), used.size, dense)
    order = np.flatnonzero(~dense)
    order = order[np.argsort(-degrees[order], kind="stable")]
    forbidden = np.full(max(n, 1) + next_color + 1, -1, dtype=np.int64)
    for v in order:
        for w in indices[indptr[v]:indptr[v + 1]]:
            if w != v and not dense[w] and colors[w] >= 0:
                forbidden[colors[w]] = v
            if not dense[w]:  # a row where v's value must stay distinguishable
                for x in indices[indptr[w]:indptr[w + 1]]:
                    if x != v and not dense[x] and colors[x] >= 0:
                        forbidden[colors[x]] = v
        c = sparse_colors_start
        while forbidden[c] == v:
            c += 1
        colors[v] = c
        next_color = max(next_color, c + 1)
    return Coloring(colors, next_color, dense)


def seed_matrix(coloring):
    """S (n x colors): column c is the sum of the unit vectors of the columns colored c."""
    n = coloring.colors.size
    S = np.zeros((n, coloring.num_colors))
    S[np.arange(n), coloring.colors] = 1.0
    return S


def recover(pattern, coloring, HS):
    """The sparse Hessian (CSR) from the compressed products HS = H @ seed_matrix(coloring)."""
    import scipy.sparse as sp
    coo = pattern.tocoo()
    rows, cols = coo.row, coo.col
    colors, dense = coloring.colors, coloring.dense
    by_symmetry = dense[rows] & ~dense[cols]
    values = np.where(by_symmetry, HS[cols, colors[rows]], HS[rows, colors[cols]])
    return sp.csr_matrix((values, (rows, cols)), shape=pattern.shape)
