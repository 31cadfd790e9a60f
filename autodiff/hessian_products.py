"""H(x) V, the Hessian times a block of vectors: the one routine that the curvature operator,
the spectrum estimators and sparse Hessians use for it. The columns of V are the batched
tangents of forward-over-reverse sweeps (hvp(batched=True)): k products cost about one sweep
carrying k tangents, not k sweeps. A single product at a time (a Lanczos step) is cheaper
through hvp_fn, which records the gradient once."""
from typing import Any, Optional

import numpy as np

from .core.tracer import primal
from .distributed import Problem, check_executor, default_chunk_size, run, ship
from .transforms import hvp, DEFAULT_CHUNK_SIZE, ONE_SWEEP_UP_TO
from .typing import ArrayLike, ScalarFun


def hessian_times_matrix(f: ScalarFun, x: ArrayLike, V: ArrayLike, *,
                         chunk_size: Optional[int] = None, executor: Any = None) -> np.ndarray:
    """H(x) @ V for scalar f of a flat vector x and V of shape (n, k): an (n, k) array.
    `chunk_size` columns go through each sweep, bounding memory (default as ad.hessian: all
    of them up to 128, else 64 at a time). With an `executor` (a concurrent.futures.Executor
    or a dask.distributed Client) each chunk is a task on its workers, f and x sent once."""
    if executor is not None:
        check_executor(executor, "hessian_times_matrix")
    x = np.asarray(x)
    x = x.astype(np.float64) if x.dtype.kind in "biu" else x  # complex: refused by hvp
    V = np.asarray(V)
    if x.ndim != 1:
        raise ValueError(f"hessian_times_matrix expects a flat vector x, got shape {x.shape}")
    if V.ndim != 2 or V.shape[0] != x.size:
        raise ValueError(f"hessian_times_matrix expects V of shape (n, k) = ({x.size}, k), one "
                         f"direction per column, got shape {V.shape}")
    if V.dtype.kind not in "biuf":
        raise TypeError(f"hessian_times_matrix: V must be real, got dtype {V.dtype}"
                        + (" (complex directions are not supported)" if V.dtype.kind == "c"
                           else ""))
    whole = isinstance(chunk_size, (int, np.integer)) and not isinstance(chunk_size, bool)
    if chunk_size is not None and not (whole and chunk_size >= 1):
        raise ValueError(f"chunk_size must be a positive integer or None, got {chunk_size!r}")
    n, k = V.shape
    if k == 0:
        return np.zeros((n, 0), dtype=x.dtype)
    chunk = chunk_size or default_chunk_size(k, executor) or \
        (k if k <= ONE_SWEEP_UP_TO else DEFAULT_CHUNK_SIZE)
    # each chunk contiguous, as it arrives on a worker: the same arithmetic either way
    chunks = [np.ascontiguousarray(V[:, start:start + chunk].T, dtype=x.dtype)
              for start in range(0, k, chunk)]
    label = f"hessian_times_matrix: {k} directions"
    if executor is None:
        blocks = run(HessianColumns(f, x).solve, chunks, label)
    else:
        blocks = ship(executor, HessianColumns(f, x), "hessian_times_matrix").map(chunks, label)
    return np.concatenate(blocks, axis=0).T


class HessianColumns(Problem):
    """H(x) times a chunk of directions (k, n), by one batched forward-over-reverse sweep."""

    def __init__(self, f, x):
        self.f, self.x = f, x

    def solve(self, directions):
        return np.asarray(primal(hvp(self.f, self.x, directions, batched=True)))

    def describe(self, directions):
        return f"{directions.shape[0]} directions"
