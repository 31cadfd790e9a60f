"""Sparse Hessians: pattern (traced) + coloring + one batched forward-over-reverse sweep with
one tangent per color + recovery. Pattern and coloring are computed once and reused."""
import numpy as np

from ..core.tracer import primal
from ..transforms import hvp
from .coloring import color_hessian, seed_matrix, recover, recovery_plan
from .detect import hessian_sparsity


def hessian_times_matrix(f, x, V, chunk_size=None):
    """H(x) @ V for a flat x and V of shape (n, k): the k columns are batched tangents of one
    forward-over-reverse sweep (chunk_size columns per sweep)."""
    n, k = V.shape
    chunk = chunk_size or k
    blocks = [np.asarray(primal(hvp(f, x, V[:, start:start + chunk].T.astype(x.dtype),
                                    batched=True)))
              for start in range(0, k, chunk)]
    return np.concatenate(blocks, axis=0).T


class SparseHessian:
    """x -> H(x) as a scipy.sparse CSR matrix. The pattern and coloring are found on the first
    call (or given) and reused, so a Newton loop pays for them once."""

    def __init__(self, f, sparsity=None, chunk_size=None):
        self.f = f
        self.pattern = sparsity
        self.coloring = self.plan = None
        self.chunk_size = chunk_size

    @property
    def num_colors(self):
        return None if self.coloring is None else self.coloring.num_colors

    def __call__(self, x):
        x = np.asarray(x, dtype=float) if np.asarray(x).dtype.kind != "f" else np.asarray(x)
        if x.ndim != 1:
            raise ValueError(f"sparse_hessian expects a flat vector x, got shape {x.shape}")
        if self.pattern is None:
            self.pattern = hessian_sparsity(self.f, x)
        if self.pattern.shape != (x.size, x.size):
            raise ValueError(f"the sparsity pattern is {self.pattern.shape}, but x has size "
                             f"{x.size}")
        if self.coloring is None:
            self.coloring = color_hessian(self.pattern)
            self.plan = recovery_plan(self.pattern, self.coloring)
        HS = hessian_times_matrix(self.f, x, seed_matrix(self.coloring), self.chunk_size)
        return recover(self.pattern, self.coloring, HS, self.plan)


def sparse_hessian(f, sparsity=None, chunk_size=None):
    """The exact Hessian of scalar f (of a flat vector) as a scipy.sparse matrix, computed with
    one batched HVP sweep per chunk of colors instead of n HVPs. See SparseHessian."""
    return SparseHessian(f, sparsity, chunk_size)
