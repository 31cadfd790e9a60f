"""Dense Hessians on worker processes (executor=): the MLP Hessian (1,409 parameters) and a
wider one (~5,000), serial against a two-worker Dask LocalCluster and a ProcessPoolExecutor,
with the costs a scaling model needs -- the compute per chunk (a + b k for k directions), the
scheduler's cost per task, the shipping of f and its data, the gathering of the columns -- and
that model's predictions for 8-256 workers (benchmarks/README.md explains it).

    pip install -e ".[distributed]"
    python benchmarks/distributed.py            # several minutes on 2 cores
    python benchmarks/distributed.py --quick    # the small MLP only, one run

Serial, Dask and ProcessPool runs are interleaved (their order rotated every repeat) and the
medians reported, with the machine's load average: on a shared machine the load moves.
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per process: workers are the parallelism

import argparse  # noqa: E402
import json  # noqa: E402
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


class Touch(distributed.Problem):
    """Another problem's shipment without its work: a worker unpickles it and waits 10 ms (so
    that the tasks spread over all the workers)."""

    def __init__(self, inner):
        self.inner = inner

    def solve(self, chunk):
        time.sleep(0.01)


class Columns(distributed.Problem):
    """A task that returns k columns of n zeros: what bringing a chunk's result back costs."""

    def __init__(self, n):
        self.n = n

    def solve(self, k):
        return np.zeros((self.n, k))


def median(values):
    return float(np.median(values))


def cpu_time(fn, repeats):
    """The median CPU seconds (this thread's) of `repeats` runs: what a core of one's own takes."""
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        fn()
        times.append(time.thread_time() - start)
    return median(times)


def chunk_cost(problem, repeats):
    """(a, b): CPU seconds of one of the Hessian's chunks of k directions, a + b k, from chunks
    of 16 and 64 (the very sweep a worker runs)."""
    t = {k: cpu_time(lambda: problem.solve((0, k)), repeats) for k in (16, 64)}
    b = (t[64] - t[16]) / 48
    return max(t[16] - 16 * b, 0.0), b


def interleaved(runs, repeats):
    """{name: [wall seconds]} of each run, `repeats` times, the runs interleaved (their order
    rotated every repeat) so that the machine's changing load falls on all of them alike; and
    the 1-minute load average at each repeat."""
    names = list(runs)
    times = {name: [] for name in names}
    loads = []
    results = {}
    for r in range(repeats):
        loads.append(os.getloadavg()[0])
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            results[name] = runs[name]()
            times[name].append(time.perf_counter() - start)
    return times, loads, results


def measure(name, f, p, client, pool, repeats, workers):
    n = p.size
    chunks = math.ceil(n / CHUNK)
    first = time.perf_counter()
    H_first = ad.hessian(f, executor=client)(p)  # the first call ships f and x to the workers
    dask_first = time.perf_counter() - first
    ad.hessian(f, executor=pool)(p)  # warm the pool's processes too
    times, loads, results = interleaved({
        "serial": lambda: ad.hessian(f)(p),
        "dask": lambda: ad.hessian(f, executor=client)(p),
        "pool": lambda: ad.hessian(f, executor=pool)(p)}, repeats)
    H = results["serial"]
    serial_cpu = cpu_time(lambda: ad.hessian(f)(p), 1)
    problem = ad.transforms._ForwardSweeps(ad.grad(f), 0, (p,), {}, False, False, "hessian")
    a, b = chunk_cost(problem, repeats)
    row = dict(name=name, n=n, chunks=chunks, serial_cpu=serial_cpu, a=a, b=b,
               dask_first=dask_first, loads=loads,
               equal=all(np.array_equal(M, H) for M in (H_first, results["dask"],
                                                          results["pool"])))
    for key in times:
        row[key] = median(times[key])
        row[key + "_all"] = times[key]
    row["speedup"] = median([s / d for s, d in zip(times["serial"], times["dask"])])
    row["speedup_pool"] = median([s / d for s, d in zip(times["serial"], times["pool"])])
    row["blob"] = len(distributed.Shipment(client, problem, "hessian").blob)
    # shipping: a fresh problem (f, x, data) to every worker, less the same no-op tasks again
    touch = distributed.Shipment(client, Touch(problem), "touch")
    spread = list(range(4 * workers))
    start = time.perf_counter()
    touch.map(spread)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    touch.map(spread)
    row["ship"] = max(cold - (time.perf_counter() - start), 0.0)
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


def scheduler_costs(client, n, tasks=200, trips=30):
    """(seconds of one no-op task's round trip alone, seconds per no-op task when many are in
    flight, gathering bandwidth in bytes/s for (n, 64) column blocks)."""
    nothing = distributed.Shipment(client, Nothing(), "noop")
    nothing.map(list(range(10)))  # warm
    alone = []
    for i in range(trips):
        start = time.perf_counter()
        nothing.map([i])
        alone.append(time.perf_counter() - start)
    start = time.perf_counter()
    nothing.map(list(range(tasks)))
    per_task = (time.perf_counter() - start) / tasks
    columns = distributed.Shipment(client, Columns(n), "columns")
    columns.map([CHUNK] * 4)
    start = time.perf_counter()
    columns.map([CHUNK] * 40)
    seconds = time.perf_counter() - start - 40 * per_task
    return median(alone), per_task, 40 * n * CHUNK * 8 / max(seconds, 1e-9)


def model_time(n, k, a1, b1, n1, per_task, trip, bandwidth, blob, ship, workers,
               gather=True):
    """Predicted seconds of an n-parameter Hessian of the same kind in chunks of k on `workers`
    workers. The sweep cost per direction grows like n (b = b1 n/n1: the MLP's work per
    direction is its size), the fixed cost a per sweep likewise; T = shipping (each worker
    fetches and unpickles f + data, in parallel; the bytes counted as if all came from one
    place) + ceil(C / W) rounds of (a + b k) + C tasks through the scheduler + one task's
    round trip + the n^2 doubles gathered at the client."""
    a, b = a1 * n / n1, b1 * n / n1
    C = math.ceil(n / k)
    return (ship + blob * workers / bandwidth + math.ceil(C / workers) * (a + b * k)
            + C * per_task + trip + gather * 8.0 * n * n / bandwidth)


def model(n, *costs, gather=True):
    """(seconds, k) of the chunk size k (a power of two from 8 to 512) that model_time finds
    fastest, and (seconds, k) of the default chunking on an executor of that many workers."""
    workers = costs[-1]
    best = min((model_time(n, k, *costs, gather=gather), k)
               for k in (8, 16, 32, 64, 128, 256, 512) if k <= n)
    k = distributed.default_chunk_size(n, Workers(workers)) or (n if n <= 128 else CHUNK)
    return best, (model_time(n, k, *costs, gather=gather), k)


class Workers:
    """Stands for an executor of that many workers (default_chunk_size reads _max_workers)."""

    def __init__(self, count):
        self._max_workers = count


WIDTHS = (1, 2, 8, 16, 32, 64, 128, 256)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5, help="median of how many runs")
    parser.add_argument("--save", help="write the measurements to this JSON file")
    parser.add_argument("--report", help="print the tables of measurements saved by --save")
    args = parser.parse_args()
    if args.report:
        with open(args.report) as saved:
            return report(**json.load(saved))
    from dask.distributed import Client, LocalCluster
    Xl, yl, Xm, ym = W.data()
    sizes = [("MLP 1409", 64)] + ([] if args.quick else [("MLP 4995", 227)])
    repeats = 1 if args.quick else args.repeats
    print(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
          flush=True)
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
        trip, per_task, bandwidth = scheduler_costs(client, rows[-1]["n"])
    finally:
        pool.shutdown()
        client.close()
        cluster.close()
    measured = dict(rows=rows, trip=trip, per_task=per_task, bandwidth=bandwidth,
                    workers=args.workers, repeats=repeats)
    if args.save:
        with open(args.save, "w") as out:
            json.dump(measured, out, indent=1)
    report(**measured)


def report(rows, trip, per_task, bandwidth, workers, repeats):
    """The measured table, and the model's predictions from the last (largest) Hessian."""
    loads = [x for r in rows for x in r["loads"]]
    print(f"\n{workers} workers, one thread each; medians of {repeats} interleaved runs; "
          f"1-minute load average {min(loads):.1f}-{max(loads):.1f} (median "
          f"{median(loads):.1f}) on {os.cpu_count()} cores")
    print(f"no-op task: {trip * 1e3:.1f} ms round trip alone, {per_task * 1e3:.2f} ms each when "
          f"200 are in flight; gathering column blocks at {bandwidth / 1e9:.2f} GB/s\n")
    print("| Hessian | chunks of 64 | serial: wall (CPU) | Dask, 2: first call / median "
          "| ProcessPool, 2 | speed-up Dask / pool | workers' CPU | overhead per chunk "
          "| f + data: size, shipping | chunk of k columns (CPU) | equal |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['chunks']} | {r['serial']:.2f} s ({r['serial_cpu']:.2f} s) "
              f"| {r['dask_first']:.2f} s / {r['dask']:.2f} s | {r['pool']:.2f} s "
              f"| {r['speedup']:.2f}x / {r['speedup_pool']:.2f}x | {r['worker_cpu']:.2f} s "
              f"| {r['overhead'] * 1e3:.1f} ms | {r['blob'] / 1e6:.2f} MB, "
              f"{r['ship'] * 1e3:.0f} ms | {r['a'] * 1e3:.1f} ms + {r['b'] * 1e3:.2f} ms k "
              f"| {'yes' if r['equal'] else 'NO'} |")
    base = rows[-1]
    print(f"\nModel (from {base['name']}), seconds for W workers")
    table = []
    for n, gather in ((1409, True), (4995, True), (20_000, True), (20_000, False),
                      (100_000, False)):
        table.append((n, gather, [model(n, base["a"], base["b"], base["n"], per_task, trip,
                                        bandwidth, base["blob"], base["ship"], w,
                                        gather=gather) for w in WIDTHS]))
    for which, title in ((0, "the best chunk size"), (1, "the default chunking on W workers")):
        print(f"\nWith {title}: seconds (chunk size); * where doubling W stops gaining 10%\n")
        print("| n | " + " | ".join(f"W={w}" for w in WIDTHS) + " |")
        print("|---|" + "---|" * len(WIDTHS))
        for n, gather, cells in table:
            best = [cell[which] for cell in cells]
            stop = next((i for i in range(1, len(WIDTHS) - 1)
                         if best[i + 1][0] > 0.9 * best[i][0]), len(WIDTHS) - 1)
            text = [f"{t:.3g} s ({k}){'*' if i == stop else ''}"
                    for i, (t, k) in enumerate(best)]
            where = ", gathered" if gather else ", kept (hessian_blocks)"
            print(f"| {n:,}{where} | " + " | ".join(text) + " |")


if __name__ == "__main__":
    main()
