"""Sparse Hessians: pattern (traced) + coloring + one batched forward-over-reverse sweep with
one tangent per color + recovery. Pattern and coloring are computed once and reused; since a
pattern can depend on x (branches on comparisons, constants taken with stop_gradient whose
zeros drop couplings), every call also checks the recovered H against one random HVP of the
same sweep, and detects the pattern again at x when they differ."""
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..distributed import Shipment, check_executor
from ..hessian_products import (HessianColumns, column_sweeps, hessian_times_matrix,  # noqa: F401
                                times_matrix)
from ..progress import logger
from ..staged_calls import use_staging
from .coloring import color_hessian, seed_matrix, recover, recovery_plan
from .detect import hessian_sparsity
from ..typing import ArrayLike, ScalarFun

if TYPE_CHECKING:  # scipy is optional: imported for the annotations only
    import scipy.sparse

VERIFY_RTOL = 1e-6  # of each row's scale |H| |r| + |H r|: a mismatch beyond it is looked into


def probe_mismatch(H, r, Hr, rtol=VERIFY_RTOL):
    """The rows where the sparse H disagrees with the exact product Hr = H(x) r beyond round-off.
    A nonzero that H's pattern lacks makes H - H(x) a nonzero matrix (that entry, and the ones
    its color shares a row with, are wrong), so for a random r some row differs with
    probability 1. Rows where f's derivatives are not finite are left to the caller."""
    Hs_r = H @ r
    scale = type(H)((np.abs(H.data), H.indices, H.indptr), shape=H.shape) @ np.abs(r) + np.abs(Hr)
    return np.flatnonzero((np.abs(Hs_r - Hr) > rtol * scale) & np.isfinite(scale))


class SparseHessian:
    """x -> H(x) as a scipy.sparse CSR matrix. The pattern and coloring are found on the first
    call (or given) and reused, so a Newton loop pays for them once.

    verify=True (the default) adds one random direction r to the sweep (k + 1 tangents for k
    colors) and compares H r from the sweep with the recovered sparse H times r. A detected
    pattern that misses a nonzero at this x is then detected again at x, joined to the old one
    (so a pattern alternating between branches settles), recolored, and H recomputed. A mismatch
    that remains is an error only if exact rows of H show a nonzero outside the pattern (a
    missed interaction, or a given `sparsity` that is wrong); else it was round-off.
    verify=False skips the probe, for a pattern known not to depend on x.

    With an `executor` (a concurrent.futures.Executor or a dask.distributed Client), the sweeps
    (chunk_size colors each) run on its workers, f and x sent once per call.

    jit=True stages the sweeps with ad.jit: one program per number of colors, recorded after a
    few sweeps and replayed at every later one where that pays (this matrix's next calls at
    new x, the chunks of many colors), with the same numbers; f's Python runs once per
    recording. None (the default) follows ad.shortcuts 'staged_toolkit'; False never
    stages."""

    def __init__(self, f: ScalarFun, sparsity: Optional["scipy.sparse.spmatrix"] = None,
                 chunk_size: Optional[int] = None, verify: bool = True, seed: int = 0,
                 executor: Any = None, jit: Optional[bool] = None) -> None:
        self.f = f
        self.jit = use_staging(jit, "sparse_hessian")
        self._sweeps = column_sweeps(f, self.jit)  # shared by the calls at every x
        self.pattern: Any = sparsity  # a CSR pattern once known
        self.given = sparsity is not None
        self.coloring = self.plan = None
        self.chunk_size = chunk_size
        self.verify = verify
        self.num_detections = 0
        self.executor = None if executor is None else check_executor(executor, "sparse_hessian")
        self._shipment: Optional[Shipment] = None  # f and x on the executor, for one call
        self._rng = np.random.default_rng(seed)

    @property
    def num_colors(self) -> Optional[int]:
        return None if self.coloring is None else self.coloring.num_colors

    def __call__(self, x: ArrayLike) -> "scipy.sparse.csr_matrix":
        if np.iscomplexobj(x):  # the cast below would drop the imaginary part
            raise TypeError("sparse_hessian: complex inputs are not supported; take the Hessian "
                            "with respect to the real and imaginary parts: f(x + 1j*y) of real "
                            "x and y (docs/complex.md)")
        x = np.asarray(x, dtype=float) if np.asarray(x).dtype.kind != "f" else np.asarray(x)
        if x.ndim != 1:
            raise ValueError(f"sparse_hessian expects a flat vector x, got shape {x.shape}")
        detected_here = False
        self._shipment = None
        if self.pattern is None:
            self._use(self._detect(x))
            detected_here = True
        if self.pattern.shape != (x.size, x.size):
            raise ValueError(f"the sparsity pattern is {self.pattern.shape}, but x has size "
                             f"{x.size}")
        if self.coloring is None:
            self._use(self.pattern)
        H, bad = self._evaluate(x)
        if bad.size and not self.given and not detected_here:
            # the pattern found at an earlier x may lack a nonzero here: find it again at this x
            joined = (self.pattern + self._detect(x)).astype(bool).tocsr()
            if joined.nnz > self.pattern.nnz:
                self._use(joined)
                H, bad = self._evaluate(x)
        if bad.size:
            missing = self._missing(x, bad)
            if missing.size:
                self._refuse(missing)
            # else the probe saw round-off (entries that cancel to ~0 do so differently in H r
            # and in the colors' sums): the pattern holds every nonzero of the rows it doubted
        self._shipment = None
        return H

    def _products(self, x, V):
        """H(x) V: on the executor if there is one (f and x shipped on first use at this x)."""
        if self.executor is not None:
            if self._shipment is None:
                self._shipment = Shipment(self.executor, HessianColumns(self.f, x, self.jit),
                                          "sparse_hessian")
            return times_matrix(self._shipment.problem, V, self.chunk_size, self._shipment,
                                "hessian_times_matrix")
        return times_matrix(HessianColumns(self.f, x, self.jit, self._sweeps), V,
                            self.chunk_size, None, "hessian_times_matrix")

    def _missing(self, x, bad, most=64):
        """Of the rows the probe doubted (at most `most`), those with a nonzero outside the
        pattern: exact rows, from HVPs with unit vectors (H is symmetric). Outside the pattern
        no tangent flows, so an exact row is exactly zero there unless the pattern is wrong."""
        rows = bad[:most]
        E = np.zeros((x.size, rows.size), dtype=x.dtype)
        E[rows, np.arange(rows.size)] = 1.0
        exact = self._products(x, E)
        missing = []
        for k, i in enumerate(rows):
            column = exact[:, k]
            outside = np.ones(x.size, dtype=bool)
            outside[self.pattern.indices[self.pattern.indptr[i]:self.pattern.indptr[i + 1]]] = False
            if np.any((column != 0) & np.isfinite(column) & outside):
                missing.append(i)
        return np.array(missing, dtype=int)

    def _detect(self, x):
        self.num_detections += 1
        return hessian_sparsity(self.f, x)

    def _use(self, pattern):
        pattern = pattern.tocsr().astype(bool)
        pattern.sort_indices()
        self.pattern = pattern
        self.coloring = color_hessian(pattern)
        self.plan = recovery_plan(pattern, self.coloring)
        logger.debug("sparse_hessian: %d columns, %d nonzeros, %d colors", pattern.shape[0],
                     pattern.nnz, self.coloring.num_colors)
        self._seeds = None  # the seed matrix (and the probe's column), made on first use

    def _evaluate(self, x):
        """(sparse H, rows where the random probe disagrees: empty if verify=False)."""
        if self._seeds is None or self._seeds.shape[1] != self.num_colors + bool(self.verify):
            S = seed_matrix(self.coloring)
            self._seeds = np.column_stack([S, np.zeros(x.size)]) if self.verify else S
        if not self.verify:
            HS = self._products(x, self._seeds)
            return recover(self.pattern, self.coloring, HS, self.plan), np.array([], int)
        r = self._seeds[:, -1]
        r[:] = self._rng.random(x.size) - 0.5  # any continuous distribution will do
        HS = self._products(x, self._seeds)
        H = recover(self.pattern, self.coloring, HS, self.plan)
        return H, probe_mismatch(H, r, HS[:, -1])

    def _refuse(self, missing):
        rows = ", ".join(map(str, missing[:10])) + (", ..." if missing.size > 10 else "")
        if self.given:
            raise ValueError(f"the sparsity pattern given to sparse_hessian lacks nonzeros of the "
                             f"Hessian at this x (rows {rows}: exact HVPs have nonzeros outside "
                             "it); pass sparsity=None to have it detected")
        raise RuntimeError(f"sparse_hessian: the pattern detected at this x lacks nonzeros of the "
                           f"Hessian (rows {rows}: exact HVPs have nonzeros outside it), so a "
                           "sparsity rule misses an interaction (a user primitive's?); "
                           "ad.hessian gives the dense Hessian")


def sparse_hessian(f: ScalarFun, sparsity: Optional["scipy.sparse.spmatrix"] = None, *,
                   chunk_size: Optional[int] = None, verify: bool = True,
                   executor: Any = None, jit: Optional[bool] = None) -> SparseHessian:
    """The exact Hessian of scalar f (of a flat vector) as a scipy.sparse matrix, computed with
    one batched HVP sweep per chunk of colors instead of n HVPs, each result checked against a
    random HVP of the same sweep (verify=False skips it); the sweeps run on `executor` if one
    is given; jit stages them with ad.jit (None: ad.shortcuts 'staged_toolkit'). See
    SparseHessian."""
    return SparseHessian(f, sparsity, chunk_size, verify, executor=executor, jit=jit)
