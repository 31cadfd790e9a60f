"""Benchmarks: autodiff beside NumPy and the peers (HIPS autograd, JAX eager and jit,
torch.func), one thread, float64. Prints one table and writes results/results.{md,json} and a
log-log plot. A peer that is not installed is a skipped column, not an error.

    python benchmarks/run.py            # everything (several minutes)
    python benchmarks/run.py --quick    # small sizes, numpy and autodiff only (seconds)
    python benchmarks/run.py --systems numpy,autodiff --workloads rosenbrock,mlp --out /tmp/b
"""
import os
import sys

# This machine image sets OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (a guard for old OpenBLAS builds
# on some processors), which makes a current NumPy run slower generic kernels. A full benchmark
# run re-executes itself without them so NumPy's BLAS runs at its real speed, as the peers' own
# kernels do; --quick runs (the test suite's) and --keep-openblas-env leave the environment alone.
if (__name__ == "__main__" and "--quick" not in sys.argv
        and "--keep-openblas-env" not in sys.argv
        and ({"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"} & set(os.environ))):
    _env = {k: v for k, v in os.environ.items()
            if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    os.execve(sys.executable, [sys.executable] + sys.argv, _env)

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
             "XLA_FLAGS"):
    os.environ.setdefault(_var, "1" if _var != "XLA_FLAGS" else
                          "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# this checkout's autodiff, not another one installed (as jit_speed.py does)
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import systems as S  # noqa: E402
import workloads as W  # noqa: E402

TARGETS = [  # (description, workload, n, op, limit, unit)
    ("chain grad, us per op", "chain", 1000, "grad", 3.0, "us/op"),
    ("chain hvp, us per op", "chain", 1000, "hvp", 8.0, "us/op"),
    ("Rosenbrock 1e5 grad / f", "rosenbrock", 100_000, "grad", 4.0, "x f"),
    ("Rosenbrock 1e5 hvp / f", "rosenbrock", 100_000, "hvp", 8.0, "x f"),
    ("Rosenbrock 1e5 hvp, grad recorded once (hvp_fn) / f", "rosenbrock", 100_000,
     "hvp (recorded)", 8.0, "x f"),
    ("Rosenbrock 1e3 hessian", "rosenbrock", 1000, "hessian", 0.020, "s"),
    ("logistic 100x100 hessian", "logistic", 100, "hessian", 0.012, "s"),
    ("MLP 1409 hessian", "mlp", 1409, "hessian", 0.8, "s"),
]


def measure(fn, block, budget=0.8, min_repeats=3, max_repeats=200):
    """Median seconds of fn() over as many runs as fit in `budget` (3 to 200): the many runs
    of a fast operation keep its median steady on a shared machine."""
    block(fn())  # warm-up (and compilation for jit)
    times = []
    start = time.perf_counter()
    while len(times) < min_repeats or (time.perf_counter() - start < budget
                                       and len(times) < max_repeats):
        t0 = time.perf_counter()
        block(fn())
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_memory_mb(fn):
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 20


def problems(quick):
    Xl, yl, Xm, ym = W.data()
    sizes = (10, 1000) if quick else (10, 1000, 100_000)
    for n in sizes:
        yield "rosenbrock", n, lambda xp, c: W.rosenbrock(xp), (
            "f", "grad", "hvp", "hvp (recorded)") + (("hessian",) if n <= 1000 else ())
    if not quick:
        yield "logistic", 100, lambda xp, c: W.logistic(xp, c(Xl), c(yl)), ("f", "grad", "hvp",
                                                                             "hessian")
    yield "mlp", 1409, lambda xp, c: W.mlp(xp, c(Xm), c(ym), 64), (
        "f", "grad", "hvp", "hvp (recorded)") + (() if quick else ("hessian",))
    yield "chain", 1000, lambda xp, c: W.chain(xp), ("f", "grad", "hvp")


WORKLOADS = ("rosenbrock", "logistic", "mlp", "chain", "sparse")


def run(systems, quick, workloads=WORKLOADS):
    rows, memory = [], []
    rng = np.random.default_rng(1)
    for workload, n, make, ops in problems(quick):
        if workload not in workloads:
            continue
        x0 = 0.3 if workload == "chain" else rng.uniform(-0.5, 0.5, n)
        v0 = 1.0 if workload == "chain" else rng.standard_normal(n)
        for system in systems:
            f = make(system.xp, system.convert)
            x, v = system.convert(np.asarray(x0, dtype=float)), system.convert(np.asarray(v0))
            available = system.ops(f, x, v)
            for op in ops + tuple(f"{o} (record{extra})" for extra in ("", ", data as arguments")
                                  for o in ops):
                if op not in available:
                    continue
                seconds = measure(available[op], system.block)
                rows.append(dict(workload=workload, n=n, system=system.name, op=op,
                                 seconds=seconds))
                print(f"  {workload:10s} n={n:<7d} {system.name:10s} {op:8s} {seconds:.3e} s",
                      flush=True)
                if system.name == "autodiff" and op in ("hvp", "hessian") and n >= 1000 and \
                        workload != "chain":
                    memory.append(dict(workload=workload, n=n, op=op,
                                       peak_mb=peak_memory_mb(available[op])))
    if "sparse" in workloads:
        rows += sparse_rows(quick, memory)
    return rows, memory


def sparse_rows(quick, memory):
    import autodiff as ad
    rows = []
    f = W.rosenbrock(np)

    def arrowhead(x):
        return np.sum(x ** 4) + x[0] * np.sum(x[1:] ** 2) + np.sum(np.sin(x[:-1] * x[1:]))
    for name, fn in (("sparse-rosenbrock", f), ("sparse-arrowhead", arrowhead)):
        for n in ((10_000,) if quick else (10_000, 100_000, 1_000_000)):
            x = np.random.default_rng(2).uniform(0.1, 1.0, n)
            sh = ad.sparse_hessian(fn)
            t0 = time.perf_counter()
            sh(x)
            first = time.perf_counter() - t0
            again = measure(lambda: sh(x), lambda r: r)
            rows.append(dict(workload=name, n=n, system="autodiff", op="sparse_hessian (first)",
                             seconds=first, colors=int(sh.num_colors)))
            rows.append(dict(workload=name, n=n, system="autodiff", op="sparse_hessian",
                             seconds=again, colors=int(sh.num_colors)))
            print(f"  {name} n={n}: first call {first:.3f} s (pattern + coloring), then "
                  f"{again:.3e} s, {sh.num_colors} colors", flush=True)
            if n == max((10_000,) if quick else (1_000_000,)):
                memory.append(dict(workload=name, n=n, op="sparse_hessian",
                                   peak_mb=peak_memory_mb(lambda: sh(x))))
    return rows


def add_ratios(rows):
    base = {(r["workload"], r["n"]): r["seconds"] for r in rows
            if r["system"] == "numpy" and r["op"] == "f"}
    ours = {(r["workload"], r["n"], r["op"]): r["seconds"] for r in rows
            if r["system"] == "autodiff"}
    for r in rows:
        b = base.get((r["workload"], r["n"]))
        o = ours.get((r["workload"], r["n"], r["op"]))
        r["x_numpy_f"] = r["seconds"] / b if b else None
        r["x_autodiff"] = r["seconds"] / o if o else None


# issue 14's targets for ad.jit: (description, workload, n, op, limit, unit); "x f": the
# replay / one NumPy f; "x jax-jit": / JAX's jit of the same op; "x unstaged": the first
# (recording) call, op "grad (record)" or "grad (record, data as arguments)", / autodiff's
# unstaged call of the derivative ("grad")
JIT_TARGETS = [
    ("chain 1000 ops: grad", "chain", 1000, "grad", 4.0, "x f"),
    ("chain 1000 ops: hvp", "chain", 1000, "hvp", 8.0, "x f"),
    ("Rosenbrock n = 10: hvp", "rosenbrock", 10, "hvp", 4.0, "x f"),
    ("Rosenbrock n = 1e5: grad", "rosenbrock", 100_000, "grad", 2.0, "x f"),
    ("Rosenbrock n = 1e5: hvp", "rosenbrock", 100_000, "hvp", 3.0, "x f"),
    ("logistic 10000 x 100: hessian", "logistic", 100, "hessian", 1.0, "x jax-jit"),
] + [(f"first call, {w} n = {n}: {op}", w, n, op + " (record)", 3.0, "x unstaged")
     for w, n, op in (("chain", 1000, "grad"), ("chain", 1000, "hvp"), ("rosenbrock", 10, "hvp"),
                      ("rosenbrock", 100_000, "grad"), ("rosenbrock", 100_000, "hvp"),
                      ("logistic", 100, "grad"), ("logistic", 100, "hvp"),
                      ("logistic", 100, "hessian"))
] + [(f"first call, logistic n = 100, data as arguments: {op}", "logistic", 100,
      op + " (record, data as arguments)", 3.0, "x unstaged") for op in ("grad", "hvp")]
JIT_SYSTEMS = ("numpy", "autodiff", "autodiff-jit", "jax-jit")


def jit_targets(rows):
    """Each ad.jit target with the measured ratio (None where a system of it was not run)."""
    def seconds(system, workload, n, op):
        return next((r["seconds"] for r in rows if r["system"] == system and
                     r["workload"] == workload and r["n"] == n and r["op"] == op), None)
    out = []
    for desc, workload, n, ours_op, limit, unit in JIT_TARGETS:
        ours = seconds("autodiff-jit", workload, n, ours_op)
        op = ours_op.split(" (")[0]  # the derivative: "grad (record)" -> "grad"
        base = {"x f": seconds("numpy", workload, n, "f"),
                "x jax-jit": seconds("jax-jit", workload, n, op),
                "x unstaged": seconds("autodiff", workload, n, op)}[unit]
        unstaged, jax = seconds("autodiff", workload, n, op), seconds("jax-jit", workload, n, op)
        f = seconds("numpy", workload, n, "f")
        if ours is None or base is None:
            continue
        out.append(dict(target=desc, limit=limit, unit=unit, measured=ours / base,
                        unstaged_x_f=unstaged / f if unstaged and f else None,
                        jax_x_f=jax / f if jax and f else None, met=bool(ours / base <= limit)))
    return out


def jit_targets_table(goals):
    lines = ["| target | limit | autodiff-jit | margin (limit / measured) | met | autodiff "
             "unstaged, x f | jax-jit, x f |", "|---|---|---|---|---|---|---|"]
    for g in goals:
        lines.append(f"| {g['target']} | <= {g['limit']:g} {g['unit']} | {g['measured']:.3g} "
                     f"{g['unit']} | {g['limit'] / g['measured']:.2f} | "
                     f"{'yes' if g['met'] else 'NO'} | {fmt(g['unstaged_x_f'])} | "
                     f"{fmt(g['jax_x_f'])} |")
    return lines


PEERS = ["autodiff", "autodiff-plain", "autograd", "jax-eager", "jax-jit", "torch.func"]


def _target_value(r, unit):
    if r is None:
        return None
    return {"us/op": r["seconds"] / 1000 * 1e6, "x f": r["x_numpy_f"], "s": r["seconds"]}[unit]


def targets(rows):
    """Each target with autodiff's measured value and the peers' values on the same row."""
    def find(system, workload, n, op):
        return next((r for r in rows if r["system"] == system and r["workload"] == workload
                     and r["n"] == n and r["op"] == op), None)
    out = []
    for desc, workload, n, op, limit, unit in TARGETS:
        ours = _target_value(find("autodiff", workload, n, op), unit)
        if ours is None:
            continue
        peers = {p: _target_value(find(p, workload, n, op), unit) for p in PEERS[1:]}
        out.append(dict(target=desc, limit=limit, unit=unit, measured=ours, peers=peers,
                        met=bool(ours <= limit)))
    return out


def targets_table(goals):
    head = "| target | limit | " + " | ".join(PEERS) + " | met |"
    lines = [head, "|---|---|" + "---|" * len(PEERS) + "---|"]
    for g in goals:
        vals = [g["measured"]] + [g["peers"][p] for p in PEERS[1:]]
        cells = ["—" if v is None else f"{v:.3g} {g['unit']}" for v in vals]
        lines.append(f"| {g['target']} | {g['limit']} {g['unit']} | " + " | ".join(cells)
                     + f" | {'yes' if g['met'] else 'NO'} |")
    return lines


def update_readme(md_targets, machine, block="targets"):
    """Rewrite a block (`targets`, `jit-targets`) of benchmarks/README.md with this run's
    numbers."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md")
    start, end = f"<!-- {block}:start -->", f"<!-- {block}:end -->"
    text = open(path, encoding="utf-8").read()
    if start not in text or end not in text:
        return
    block = "\n".join([start, "", machine, ""] + md_targets + ["", end])
    text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    print("updated", path)


def fmt(x, digits=3):
    return "" if x is None else f"{x:.{digits}g}"


def blas_kernel():
    try:
        from threadpoolctl import threadpool_info
        kernels = sorted({f"{i['internal_api']} {i.get('architecture', '')}".strip()
                          for i in threadpool_info() if i["user_api"] == "blas"})
        return ", ".join(kernels) or "unknown"
    except ImportError:
        return "unknown (no threadpoolctl)"


def pin_cpu(choice):
    """Run on one CPU: by default the last one, away from CPU 0, which on the VMs measured here
    takes the machine's interrupts (timings there drifted by up to 30% between runs)."""
    if choice == "none" or not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    cpu = cpus[-1] if choice is None else int(choice)
    os.sched_setaffinity(0, {cpu})
    return cpu


def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            return next(line.split(":", 1)[1].strip() for line in fh
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def machine_line(cpu=None):
    pinned = "" if cpu is None else f", pinned to CPU {cpu}"
    return (f"Machine: {cpu_model()} ({platform.machine()}), {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, NumPy {np.__version__} (BLAS: {blas_kernel()}); "
            f"one thread{pinned}, float64, allocator tuned.")


def markdown(rows, memory, goals, missing, cpu=None):
    """The summary first (targets beside the peers, memory), then every measurement."""
    lines = [machine_line(cpu), ""]
    if missing:
        lines += [f"Not installed (skipped): {', '.join(missing)}.", ""]
    lines += targets_table(goals)
    jit_goals = jit_targets(rows)
    if jit_goals:
        lines += ["", "ad.jit (issue 14):", ""] + jit_targets_table(jit_goals)
    lines += ["", "| autodiff peak memory (tracemalloc) | n | op | MB |", "|---|---|---|---|"]
    for m in memory:
        lines.append(f"| {m['workload']} | {m['n']} | {m['op']} | {m['peak_mb']:.1f} |")
    lines += ["", "| workload | n | system | op | median s | x NumPy f | x autodiff |",
              "|---|---|---|---|---|---|---|"]
    for r in rows:
        extra = f" ({r['colors']} colors)" if "colors" in r else ""
        lines.append(f"| {r['workload']} | {r['n']} | {r['system']} | {r['op']}{extra} | "
                     f"{r['seconds']:.3e} | {fmt(r['x_numpy_f'])} | {fmt(r['x_autodiff'])} |")
    return "\n".join(lines) + "\n"


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no plot)")
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, op in zip(axes, ("grad", "hvp")):
        for system in sorted({r["system"] for r in rows}):
            pts = sorted((r["n"], r["seconds"]) for r in rows if r["workload"] == "rosenbrock"
                         and r["system"] == system and r["op"] == op)
            if pts:
                ax.loglog(*zip(*pts), marker="o", label=system)
        f_pts = sorted((r["n"], r["seconds"]) for r in rows if r["workload"] == "rosenbrock"
                       and r["system"] == "numpy")
        if f_pts:
            ax.loglog(*zip(*f_pts), "k--", label="NumPy f(x)")
        ax.set_title(f"Rosenbrock: {op}")
        ax.set_xlabel("n")
        ax.set_ylabel("median seconds")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print("wrote", path)


def main(argv=None):
    import autodiff
    # The same allocator settings for every system in this process: without them glibc mmaps
    # and unmaps each large NumPy temporary, and timings drift with its dynamic threshold.
    tuned = autodiff.tune_allocator()
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, numpy + autodiff")
    parser.add_argument("--systems", help="comma-separated subset of: numpy, autodiff, "
                        "autodiff-plain (every shortcut off), autodiff-jit (ad.jit), autograd, "
                        "jax-eager, jax-jit, "
                        "torch.func")
    parser.add_argument("--workloads", help="comma-separated subset of: " + ", ".join(WORKLOADS))
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    parser.add_argument("--cpu", help="CPU to pin the run to (default: the last one; 'none': "
                        "do not pin)")
    parser.add_argument("--keep-openblas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE if set (slower kernels)")
    opts = parser.parse_args(argv)
    cpu = pin_cpu(opts.cpu)
    names = opts.systems.split(",") if opts.systems else (["numpy", "autodiff"] if opts.quick
                                                          else None)
    systems, missing = S.available(names)
    print(f"allocator tuned (glibc mallopt): {tuned}")
    print("systems:", ", ".join(s.name for s in systems),
          f"(not installed: {', '.join(missing)})" if missing else "")
    workloads = opts.workloads.split(",") if opts.workloads else WORKLOADS
    unknown = set(workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
    rows, memory = run(systems, opts.quick, workloads)
    add_ratios(rows)
    goals = targets(rows)
    md = markdown(rows, memory, goals, missing, cpu)
    print()
    print(md)
    os.makedirs(opts.out, exist_ok=True)
    with open(os.path.join(opts.out, "results.md"), "w") as fh:
        fh.write(md)
    with open(os.path.join(opts.out, "results.json"), "w") as fh:
        json.dump(dict(rows=rows, memory=memory, targets=goals, missing=missing), fh, indent=1)
    plot(rows, os.path.join(opts.out, "time_vs_n.png"))
    if not opts.quick and not opts.systems and not opts.workloads:
        update_readme(targets_table(goals), machine_line(cpu))
    ran = {s.name for s in systems}
    if not opts.quick and set(JIT_SYSTEMS) <= ran and \
            {"rosenbrock", "logistic", "chain"} <= set(workloads):
        update_readme(jit_targets_table(jit_targets(rows)), machine_line(cpu), "jit-targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
