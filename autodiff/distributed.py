"""Chunks of directions (Hessian columns, probes, colors) on other processes or machines: any
`concurrent.futures.Executor` (ProcessPoolExecutor, loky) or a Dask cluster (a
`dask.distributed.Client` or its `get_executor()`), passed as `executor=` to hessian, jacfwd,
jacrev, hessian_times_matrix, hessian_operator, sparse_hessian and the curvature estimators
(hessian_trace, spectral_density, hessian_eigenvalues, condition_number).

    from dask.distributed import Client, LocalCluster
    client = Client(LocalCluster(n_workers=2))       # or Client("tcp://scheduler:8786")
    H = ad.hessian(f, executor=client)(x)            # the serial numbers, chunk for chunk

Each chunk is computed by the very function the serial loop calls, so results are identical
(same chunking, same arithmetic); without a chunk_size, the work is split by the executor's
number of workers (default_chunk_size). The problem (f, x, data) is pickled once (cloudpickle)
into a blob keyed by its hash; a worker unpickles it once and keeps it (the last CACHE_SIZE
problems). On Dask the blob is the result of one task, fetched once by each worker (and
recomputed if the workers holding it die); a generic executor sends it with each task (it has no
way to send data once per process), but it is still unpickled once per worker process. On Dask,
a task whose worker dies is rerun elsewhere, and one that raises is retried RETRIES times; an
exception from f comes back as itself, with the chunk named; a KeyboardInterrupt cancels the
outstanding tasks. Dask is imported only by what uses it.
"""
import hashlib
import pickle
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import Executor
from typing import Any, Callable, List, Optional, Sequence

from ._optional import require
from .core.tracer import Tracer
from .progress import steps

RETRIES = 2  # Dask reruns of a chunk that raised (a lost worker's chunks are rerun anyway)
CACHE_SIZE = 4  # problems kept unpickled per worker process
# The default chunking on an executor (chunk_size=None): about CHUNKS_PER_WORKER chunks per
# worker, so that a slow or lost worker's share is small and the others even it out; never
# fewer than MIN_CHUNK directions, so that a task's cost through the scheduler (about a
# millisecond idle, tens under load: benchmarks/README.md) stays small next to its sweep;
# never more than the serial DEFAULT_CHUNK_SIZE (the memory of a sweep grows with its chunk).
CHUNKS_PER_WORKER = 4
MIN_CHUNK = 8

_problems: "OrderedDict[str, Any]" = OrderedDict()  # token -> problem, in each worker process
_problems_lock = threading.Lock()  # a Dask worker may run several threads


class Problem:
    """Work split into chunks: `solve(chunk)` on a worker. Subclasses keep what they derive on
    a worker (a recorded tape, a layout) in attributes starting with `_`, which are not pickled:
    the instance is kept per worker, so they are derived once per worker."""

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def solve(self, chunk):  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self, chunk) -> str:
        return repr(chunk)


def _dumps(problem, what):
    """The problem as bytes (cloudpickle: lambdas and closures travel by value). A traced value
    (of an outer transform, closed over by f or passed as x) cannot leave its trace: refused."""
    cloudpickle = require("cloudpickle", "distributed", f"{what}(executor=...)")

    class Pickler(cloudpickle.CloudPickler):
        def reducer_override(self, obj):
            if isinstance(obj, Tracer):
                raise TypeError(f"{what}(executor=...): the work refers to a traced value (an "
                                "input or a variable f closes over, traced by an enclosing "
                                "transform such as grad); it cannot be sent to another "
                                "process. Use executor= on the outermost transform only, with "
                                "concrete inputs.")
            return super().reducer_override(obj)

    import io
    buffer = io.BytesIO()
    Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(problem)
    return buffer.getvalue()


def _run(token, blob, chunk):
    """On a worker: the problem (unpickled on first use in this process), solved for one chunk."""
    with _problems_lock:
        problem = _problems.get(token)
        if problem is None:
            problem = pickle.loads(blob)
            _problems[token] = problem
            while len(_problems) > CACHE_SIZE:
                _problems.popitem(last=False)
        else:
            _problems.move_to_end(token)
    return problem.solve(chunk)


class PickledError(Exception):
    """An exception from a worker whose type plain pickle cannot carry back (a class defined
    in the user's script): it travels cloudpickled inside this one, and is unwrapped."""

    def __init__(self, blob):
        super().__init__(blob)
        self.blob = blob


def _run_pickling_errors(token, blob, chunk):
    """_run, for executors that send results back with plain pickle (ProcessPoolExecutor)."""
    try:
        return _run(token, blob, chunk)
    except Exception as error:
        try:
            pickle.dumps(error)
        except Exception:
            raise PickledError(require("cloudpickle", "distributed", "executor=").dumps(error))
        raise


def _identity(blob):
    return blob


def _unwrap(error):
    if isinstance(error, PickledError):
        return pickle.loads(error.blob)
    return error


def _dask_client(executor):
    """The dask.distributed Client behind `executor` (a Client or its get_executor()), else
    None. Found by type, so that dask is never imported here."""
    module = type(executor).__module__ or ""
    if not module.startswith("distributed"):
        return None
    if type(executor).__name__ == "Client":
        return executor
    return getattr(executor, "_client", None)


def check_executor(executor, what):
    """`executor` if it can run our chunks, else a TypeError that says what is accepted."""
    if isinstance(executor, Shipment) or _dask_client(executor) is not None \
            or isinstance(executor, Executor):
        return executor
    raise TypeError(f"{what}: executor must be a concurrent.futures.Executor (e.g. "
                    "ProcessPoolExecutor, loky) or a dask.distributed Client, got "
                    f"{type(executor).__name__}")


def worker_count(executor) -> Optional[int]:
    """How many tasks `executor` runs at once (a Dask cluster's threads now, a pool's
    processes), or None if it does not say. A Shipment counts once (an operator's matmats,
    a Lanczos step each, do not ask the scheduler every time)."""
    if isinstance(executor, Shipment):
        if executor._workers == 0:
            executor._workers = worker_count(executor.executor)
        return executor._workers
    client = _dask_client(executor)
    if client is not None:
        return sum(client.nthreads().values()) or None
    count = getattr(executor, "_max_workers", None)  # ProcessPoolExecutor, loky
    return count if isinstance(count, int) and count > 0 else None


def default_chunk_size(n: int, executor: Any) -> Optional[int]:
    """Directions per chunk for n directions on `executor` when chunk_size is not given, or
    None for the serial default (no executor, one worker, or an executor that does not say how
    many): about CHUNKS_PER_WORKER chunks per worker, at least MIN_CHUNK directions each, at
    most the serial DEFAULT_CHUNK_SIZE. The result is bit for bit the serial result with this
    chunk_size (a different chunking can change the last bits of a sum or a product)."""
    from .transforms import DEFAULT_CHUNK_SIZE
    workers = None if executor is None else worker_count(executor)
    if workers is None or workers < 2:
        return None
    chunk = -(-n // (CHUNKS_PER_WORKER * workers))
    return max(1, min(n, DEFAULT_CHUNK_SIZE, max(MIN_CHUNK, chunk)))


class Shipment:
    """A problem sent to an executor: pickled once, then `map` runs chunks of it, as many times
    as needed (an operator's matmats reuse one shipment, so f and x travel once)."""

    def __init__(self, executor, problem: Problem, what: str) -> None:
        check_executor(executor, what)
        self.executor, self.problem, self.what = executor, problem, what
        self.client = _dask_client(executor)
        self.blob = _dumps(problem, what)
        self.token = hashlib.sha256(self.blob).hexdigest()
        self._scattered = None
        self._workers: Optional[int] = 0  # worker_count's answer, asked on first use

    def _payload(self):
        """The blob, or on Dask a future of it: a task whose result is the blob, which each
        worker fetches once for all its chunks. Not client.scatter: scattered data that a dying
        worker held is lost for good, while a task's result is recomputed by the scheduler."""
        if self.client is None:
            return self.blob
        if self._scattered is None:
            key = f"autodiff-{self.what}-problem-{self.token[:8]}-{uuid.uuid4().hex[:8]}"
            self._scattered = self.client.submit(_identity, self.blob, key=key, pure=False,
                                                 retries=RETRIES)
        return self._scattered

    def _submit(self, payload, chunk, index):
        if self.client is None:
            return self.executor.submit(_run_pickling_errors, self.token, payload, chunk)
        key = f"autodiff-{self.what}-{self.token[:8]}-{index}-{uuid.uuid4().hex[:8]}"
        return self.client.submit(_run, self.token, payload, chunk, key=key, pure=False,
                                  retries=RETRIES)

    def submit(self, chunks: Sequence[Any]) -> List[Any]:
        """Futures of problem.solve(chunk), one per chunk (Dask: they stay on the workers)."""
        payload = self._payload()
        return [self._submit(payload, chunk, i) for i, chunk in enumerate(chunks)]

    def map(self, chunks: Sequence[Any], label: Optional[str] = None) -> List[Any]:
        """problem.solve(chunk) for each chunk, in order, computed by the executor."""
        futures = self.submit(chunks)
        results = []
        try:
            for i, future in enumerate(steps(futures, label or f"{self.what}: chunks",
                                             unit="chunk")):
                try:
                    results.append(future.result())
                except Exception as error:
                    original = _unwrap(error)
                    _note(original, f"{self.what}(executor=...): raised on a worker in chunk "
                          f"{i + 1} of {len(chunks)} ({self.problem.describe(chunks[i])})")
                    if original is error:
                        raise
                    raise original from None
        except BaseException:  # an error, or KeyboardInterrupt: stop the rest of the job
            self.cancel(futures)
            raise
        return results

    def cancel(self, futures):
        if self.client is not None:
            self.client.cancel(futures)
        else:
            for future in futures:
                future.cancel()


def _note(error, message):
    """Name the chunk on the error itself (its type unchanged, so `except` clauses still work)."""
    if hasattr(error, "add_note"):  # Python 3.11+
        error.add_note(message)
    elif error.args and isinstance(error.args[0], str):
        error.args = (f"{error.args[0]} [{message}]",) + error.args[1:]


def ship(executor, problem: Problem, what: str) -> Shipment:
    """A Shipment of problem to executor (an existing Shipment is reused as it is)."""
    if isinstance(executor, Shipment):
        return executor
    return Shipment(executor, problem, what)


def run(runner: Callable[[Any], Any], chunks: Sequence[Any], label: str) -> List[Any]:
    """The serial path: runner(chunk) for each chunk, progress reported when there are several."""
    if len(chunks) > 1:
        return [runner(chunk) for chunk in steps(chunks, label, unit="chunk")]
    return [runner(chunk) for chunk in chunks]


def hessian_blocks(f: Callable[..., Any], x: Any, client: Any, *, args: Any = (),
                   chunk_size: Optional[int] = None) -> Any:
    """H(x) of f(x, *args) (x a flat vector) as a dask.array of column blocks computed and kept
    on the workers of a dask.distributed `client`: for a Hessian too big for this machine's
    memory. Take its diagonal, a slice, a trace or products with dask (`.compute()` brings a
    result back); the columns are those of ad.hessian (same chunking: chunk_size columns per
    block, by default as hessian on this client). The blocks are not cached: persist() them
    to reuse them."""
    import numpy as np
    from .transforms import ONE_SWEEP_UP_TO, DEFAULT_CHUNK_SIZE, HessianSweeps
    da = require("dask.array", "distributed", "hessian_blocks", package="dask")
    dask = require("dask", "distributed", "hessian_blocks")
    if _dask_client(client) is None:
        raise TypeError("hessian_blocks: client must be a dask.distributed Client (or its "
                        f"get_executor()), got {type(client).__name__}")
    x = np.asarray(x)
    x = x.astype(np.float64) if x.dtype.kind in "biu" else x
    if x.ndim != 1:
        raise ValueError(f"hessian_blocks expects a flat vector x, got shape {x.shape}")
    n = x.size
    chunk = chunk_size or default_chunk_size(n, client) or \
        (n if n <= ONE_SWEEP_UP_TO else DEFAULT_CHUNK_SIZE)
    chunk = max(1, min(n, chunk))
    spans = [(start, min(chunk, n - start)) for start in range(0, n, chunk)]
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    shipment = Shipment(client, HessianSweeps(f, x, args), "hessian_blocks")
    futures = shipment.submit(spans)
    blocks = [da.from_delayed(dask.delayed(future), shape=(n, k), dtype=x.dtype)
              for future, (_, k) in zip(futures, spans)]
    return da.concatenate(blocks, axis=1)
