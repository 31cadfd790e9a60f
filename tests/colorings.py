"""A check that a coloring of a sparse Hessian pattern is a valid star coloring, shared by
the public sparse tests and the internal ones."""


def assert_star_coloring(pattern, coloring):
    """A star coloring of the non-dense vertices (adjacent ones differ; no path on four of them
    has two colors only), and dense columns have colors of their own."""
    dense, colors = coloring.dense, coloring.colors
    P = pattern.tocsr()
    nbrs = [set(P.indices[P.indptr[v]:P.indptr[v + 1]]) - {v} for v in range(P.shape[0])]
    nbrs = [{w for w in ws if not dense[w]} if not dense[v] else set() for v, ws in enumerate(nbrs)]
    for w, ws in enumerate(nbrs):
        for x in ws:
            assert colors[w] != colors[x]
            for a in nbrs[w] - {x}:
                for b in nbrs[x] - {w, a}:
                    assert not (colors[a] == colors[x] and colors[b] == colors[w]), (a, w, x, b)
    dense_colors = colors[dense]
    assert len(set(dense_colors)) == dense_colors.size
    assert not set(dense_colors) & set(colors[~dense])
