"""H(x) V, the Hessian times a block of vectors: the one routine that the curvature operator,
the spectrum estimators and sparse Hessians use for it. The columns of V are the batched
tangents of forward-over-reverse sweeps (hvp(batched=True)): k products cost about one sweep
carrying k tangents, not k sweeps. A single product at a time (a Lanczos step) is cheaper
through hvp_fn, which records the gradient once. Sweeps repeated with the same number of
columns (chunks of a call, a Newton loop's sparse Hessians, Hutchinson's blocks) are staged
with ad.jit (see staged_calls)."""
from typing import Any, Optional

import numpy as np

from .core.tracer import primal
from .distributed import Problem, check_executor, default_chunk_size, run, ship
from .staged_calls import _arrays_only, staged, traced, use_staging
from .transforms import hvp, DEFAULT_CHUNK_SIZE, ONE_SWEEP_UP_TO
from .typing import ArrayLike, ScalarFun


def hessian_times_matrix(f: ScalarFun, x: ArrayLike, V: ArrayLike, *,
                         chunk_size: Optional[int] = None, executor: Any = None,
                         jit: Optional[bool] = None) -> np.ndarray:
    """H(x) @ V for scalar f of a flat vector x and V of shape (n, k): an (n, k) array.
    `chunk_size` columns go through each sweep, bounding memory (default as ad.hessian: all
    of them up to 128, else 64 at a time). With an `executor` (a concurrent.futures.Executor
    or a dask.distributed Client) each chunk is a task on its workers, f and x sent once.
    jit: stage the sweeps with ad.jit (after a few chunks, where that pays; the same
    numbers) -- None follows ad.shortcuts 'staged_toolkit'."""
    if executor is not None:
        check_executor(executor, "hessian_times_matrix")
    return times_matrix(HessianColumns(f, np.asarray(x), use_staging(jit, "hessian_times_matrix")),
                        V, chunk_size, executor, "hessian_times_matrix")


def times_matrix(columns: "HessianColumns", V: ArrayLike, chunk_size: Optional[int],
                 executor: Any, what: str) -> np.ndarray:
    """hessian_times_matrix for the f and x of `columns` (whose staged sweeps, if any, are
    kept by the caller from one call to the next)."""
    x = np.asarray(columns.x)
    x = x.astype(np.float64) if x.dtype.kind in "biu" else x  # complex: refused by hvp
    columns.x = x
    V = np.asarray(V)
    if x.ndim != 1:
        raise ValueError(f"{what} expects a flat vector x, got shape {x.shape}")
    if V.ndim != 2 or V.shape[0] != x.size:
        raise ValueError(f"{what} expects V of shape (n, k) = ({x.size}, k), one "
                         f"direction per column, got shape {V.shape}")
    if V.dtype.kind not in "biuf":
        raise TypeError(f"{what}: V must be real, got dtype {V.dtype}"
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
    label = f"{what}: {k} directions"
    if executor is None:
        blocks = run(columns.solve, chunks, label)
    else:
        blocks = ship(executor, columns, what).map(chunks, label)
    return np.concatenate(blocks, axis=0).T


def column_sweeps(f: ScalarFun, jit: bool, closed=()):
    """(x, directions (k, n), *data) -> H(x) times them, (k, n), for f(x, *data, *closed): one
    batched forward-over-reverse sweep, staged after a few calls if jit (one program per
    number of directions)."""
    return staged(lambda x, directions, *data: hvp(lambda z: f(z, *data, *closed), x,
                                                   directions, batched=True),
                  jit, "hessian_times_matrix")


class HessianColumns(Problem):
    """H(x) of f(x, *args) times a chunk of directions (k, n), by one batched
    forward-over-reverse sweep. `sweeps` (from column_sweeps) may be shared by the problems of
    several x (a Newton loop's); on a worker, the problem makes its own (attributes starting
    with _ are not pickled). Array args are arguments of the staged sweeps (not copied)."""

    def __init__(self, f, x, jit=False, sweeps=None, args=()):
        self.f, self.x, self.jit = f, x, jit
        self.data = tuple(args) if _arrays_only(tuple(args)) else ()
        self.closed = () if self.data else tuple(args)
        self._sweeps = sweeps

    def solve(self, directions):
        if getattr(self, "_sweeps", None) is None:  # (not pickled: made again on a worker)
            self._sweeps = column_sweeps(self.f, self.jit and not traced(self.x), self.closed)
        return np.asarray(primal(self._sweeps(self.x, directions, *self.data)))

    def describe(self, directions):
        return f"{directions.shape[0]} directions"
