"""Dense Hessians on worker processes (executor=): the MLP Hessian (1,409 parameters) and a
wider one (~5,000), serial against a two-worker Dask LocalCluster and a ProcessPoolExecutor,
with the costs a scaling model needs -- the compute per chunk (a + b k for k directions), the
scheduler's cost per task, the shipping of f and its data, the gathering of the columns -- and
that model's predictions for 8-256 workers (benchmarks/README.md explains it).

    pip install -e ".[distributed]"
    python benchmarks/distributed.py            # a few minutes on 2 cores
    python benchmarks/distributed.py --quick    # the small MLP only, fewer repeats
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per process: workers are the parallelism

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

import numpy as np  # noqa: E402

# this script's folder off the path: its name would shadow Dask's `distributed` package
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
sys.path.insert(0, os.path.dirname(HERE))
import autodiff as ad  # noqa: E402
from autodiff import distributed  # noqa: E402

import importlib.util  # noqa: E402
_spec = importlib.util.spec_from_file_location("workloads", os.path.join(HERE, "workloads.py"))
W = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(W)

CHUNK = ad.transforms.DEFAULT_CHUNK_SIZE


class Nothing(distributed.Problem):
    """A task that does nothing: what the scheduler and the round trip cost per chunk."""

    def solve(self, chunk):
        return None


class Timed(distributed.Problem):
    """Another problem's chunks, with the wall and CPU seconds each took on its worker."""

    def __init__(self, inner):
        self.inner = inner

    def solve(self, chunk):
        wall, cpu = time.perf_counter(), time.thread_time()
        self.inner.solve(chunk)
        return time.perf_counter() - wall, time.thread_time() - cpu


class Columns(distributed.Problem):
    """A task that returns k columns of n zeros: what bringing a chunk's result back costs."""

    def __init__(self, n):
        self.n = n

    def solve(self, k):
        return np.zeros((self.n, k))


def best_time(fn, repeats):
    """(the best of `repeats` runs' seconds, the last result): on a shared machine, others'
    load only adds time."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def cpu_time(fn, repeats):
    """The least CPU seconds (this thread's) of `repeats` runs: what a core of one's own takes."""
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        fn()
        times.append(time.thread_time() - start)
    return min(times)


def chunk_cost(problem, repeats):
    """(a, b): CPU seconds of one of the Hessian's chunks of k directions, a + b k, from chunks
    of 16 and 64 (the very sweep a worker runs)."""
    t = {k: cpu_time(lambda: problem.solve((0, k)), repeats) for k in (16, 64)}
    b = (t[64] - t[16]) / 48
    return max(t[16] - 16 * b, 0.0), b


def measure(name, f, p, client, pool, repeats, workers):
    n = p.size
    chunks = math.ceil(n / CHUNK)
    serial, H = best_time(lambda: ad.hessian(f)(p), repeats)
    serial_cpu = cpu_time(lambda: ad.hessian(f)(p), 1)
    problem = ad.transforms._ForwardSweeps(ad.grad(f), 0, (p,), {}, False, False, "hessian")
    a, b = chunk_cost(problem, repeats)
    row = dict(name=name, n=n, chunks=chunks, serial=serial, serial_cpu=serial_cpu, a=a, b=b)
    first = time.perf_counter()
    same = np.array_equal(ad.hessian(f, executor=client)(p), H)
    row["dask_first"] = time.perf_counter() - first
    row["dask"], H_dask = best_time(lambda: ad.hessian(f, executor=client)(p), repeats)
    row["pool"], H_pool = best_time(lambda: ad.hessian(f, executor=pool)(p), repeats)
    row["equal"] = same and np.array_equal(H_dask, H) and np.array_equal(H_pool, H)
    shipment = distributed.Shipment(client, problem, "hessian")
    row["blob"] = len(shipment.blob)
    start = time.perf_counter()
    from dask.distributed import wait
    wait(shipment._payload())  # on a worker (the others fetch it from there)
    row["ship"] = time.perf_counter() - start
    spans = [(s, min(CHUNK, n - s)) for s in range(0, n, CHUNK)]
    timed = distributed.Shipment(client, Timed(problem), "hessian")
    timed.map(spans)  # warm: each worker unpickles f and x
    start = time.perf_counter()
    inside = timed.map(spans)
    wall = time.perf_counter() - start
    row["worker_cpu"] = sum(c for _, c in inside)
    # per-chunk overhead: the workers' wall time beyond their sweeps (scheduling, sending the
    # chunk and its result, idling at the end), per chunk
    row["overhead"] = (workers * wall - sum(w for w, _ in inside)) / chunks
    return row


def scheduler_costs(client, n, tasks=200):
    """(seconds per no-op task, gathering bandwidth in bytes/s for (n, 64) column blocks)."""
    nothing = distributed.Shipment(client, Nothing(), "noop")
    nothing.map(list(range(10)))  # warm
    start = time.perf_counter()
    nothing.map(list(range(tasks)))
    per_task = (time.perf_counter() - start) / tasks
    columns = distributed.Shipment(client, Columns(n), "columns")
    columns.map([CHUNK] * 4)
    start = time.perf_counter()
    columns.map([CHUNK] * 40)
    seconds = time.perf_counter() - start - 40 * per_task
    return per_task, 40 * n * CHUNK * 8 / max(seconds, 1e-9)


def model(n, a1, b1, n1, per_task, bandwidth, blob, workers, gather=True):
    """Predicted seconds of an n-parameter Hessian of the same kind on `workers` workers, and
    the chunk size that minimizes it. The sweep cost per direction grows like n (b = b1 n/n1:
    the MLP's work per direction is its size), the fixed cost a per sweep likewise;
    T = shipping (blob to each worker) + ceil(C / W) rounds of (a + b k) + C tasks through
    the scheduler + the n^2 doubles gathered at the client."""
    a, b = a1 * n / n1, b1 * n / n1
    best = None
    for k in (8, 16, 32, 64, 128, 256, 512):
        if k > n:
            break
        C = math.ceil(n / k)
        t = (blob * workers / bandwidth + math.ceil(C / workers) * (a + b * k)
             + C * per_task + gather * 8.0 * n * n / bandwidth)
        if best is None or t < best[0]:
            best = (t, k)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="best of how many runs")
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster
    Xl, yl, Xm, ym = W.data()
    sizes = [("MLP 1409", 64)] + ([] if args.quick else [("MLP 4995", 227)])
    repeats = 1 if args.quick else args.repeats
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0")
    client = Client(cluster)
    pool = ProcessPoolExecutor(args.workers)
    rows = []
    try:
        for name, hidden in sizes:
            f = W.mlp(np, Xm, ym, hidden)
            n = Xm.shape[1] * hidden + 2 * hidden + 1
            p = np.random.default_rng(1).standard_normal(n) * 0.3
            rows.append(measure(name, f, p, client, pool, repeats, args.workers))
            print(rows[-1], flush=True)
        per_task, bandwidth = scheduler_costs(client, rows[-1]["n"])
    finally:
        pool.shutdown()
        client.close()
        cluster.close()
    print(f"\n{args.workers} workers, one thread each; scheduler cost per task "
          f"{per_task * 1e3:.2f} ms, gathering bandwidth {bandwidth / 1e9:.2f} GB/s\n")
    print("| Hessian | n | chunks of 64 | serial (CPU) | Dask, first call | Dask | ProcessPool "
          "| speed-up (Dask) | workers' CPU | overhead per chunk | f + data shipped | scatter "
          "| a + b k per sweep (CPU) | equal |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['n']} | {r['chunks']} | {r['serial']:.2f} s "
              f"({r['serial_cpu']:.2f} s) | {r['dask_first']:.2f} s | {r['dask']:.2f} s | "
              f"{r['pool']:.2f} s | {r['serial'] / r['dask']:.2f}x | {r['worker_cpu']:.2f} s | "
              f"{r['overhead'] * 1e3:.1f} ms | {r['blob'] / 1e6:.2f} MB | "
              f"{r['ship'] * 1e3:.0f} ms | {r['a'] * 1e3:.1f} ms + {r['b'] * 1e3:.2f} ms k | "
              f"{r['equal']} |")
    print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    base = rows[-1]
    print(f"\nModel (from {base['name']}): seconds (chunk size) for W workers\n")
    widths = (1, 2, 8, 16, 32, 64, 128, 256)
    print("| n | " + " | ".join(f"W={w}" for w in widths) + " |")
    print("|---|" + "---|" * len(widths))
    for n, gather in ((1409, True), (4995, True), (20_000, True), (20_000, False),
                      (100_000, False)):
        cells = []
        for w in widths:
            t, k = model(n, base["a"], base["b"], base["n"], per_task, bandwidth,
                         base["blob"], w, gather)
            cells.append(f"{t:.3g} s ({k})")
        where = "" if gather else " kept (hessian_blocks)"
        print(f"| {n}{where} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
