"""ad.jit's speed: each derivative, unstaged and replayed by ad.jit (with fusion, and without:
`ad.shortcuts.disabled("fusion")`), as a ratio to one NumPy evaluation of f measured in the
same run (one thread), and the first (recording) call as a ratio to the unstaged call; then
a long program's first calls one by one (the first replays interpret the recording, the third
compiles it), as ratios to its unstaged call.

    python benchmarks/jit_speed.py
"""
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import autodiff as ad  # noqa: E402
import workloads as W  # noqa: E402


def best(fn, budget=0.3):
    """The best time of one call, over repeats filling about `budget` seconds."""
    fn()
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    reps = max(3, min(2000, int(budget / once)))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def cases():
    rng = np.random.default_rng(0)
    chain = W.chain(np)
    yield "chain 1000 ops", chain, np.asarray(0.3), np.asarray(1.0), ("grad", "hvp")
    rosen = W.rosenbrock(np)
    for n in (10, 100_000):
        yield f"rosenbrock n={n}", rosen, rng.uniform(-0.5, 0.5, n), rng.standard_normal(n), \
            ("grad", "hvp")
    Xl, yl, _, _ = W.data()
    yield "logistic 10000x100", W.logistic(np, Xl, yl), 0.1 * rng.standard_normal(100), \
        rng.standard_normal(100), ("grad", "hvp", "hessian")


def derivatives(f):
    return {"grad": (ad.grad(f), 1), "hvp": (lambda x, v: ad.hvp(f, x, v), 2),
            "hessian": (ad.hessian(f), 1)}


def main():
    ad.tune_allocator()  # as run.py: large temporaries reuse memory (no page faults per copy)
    print(f"{'workload':22} {'op':8} {'unstaged/f':>11} {'jit/f':>8} {'unfused/f':>10} "
          f"{'speed-up':>9} {'record/unstaged':>16}")
    for name, f, x, v, ops in cases():
        t_f = best(lambda: f(x))
        for op in ops:
            fn, nargs = derivatives(f)[op]
            args = (x, v)[:nargs]
            t_plain = best(lambda: fn(*args))
            t_record = float("inf")
            for _ in range(3):  # the best of three first calls
                jitted = ad.jit(fn)
                t0 = time.perf_counter()
                jitted(*args)
                t_record = min(t_record, time.perf_counter() - t0)
            for _ in range(3):  # past fusion's warm-up: its loops compiled
                got = jitted(*args)
            want = fn(*args)
            assert np.max(np.abs(got - want)) <= 1e-12 * np.max(np.abs(want))
            t_jit = best(lambda: jitted(*args))
            with ad.shortcuts.disabled("fusion"):
                unfused = ad.jit(fn)
                unfused(*args)
                assert np.array_equal(unfused(*args), want)  # bit for bit
                t_unfused = best(lambda: unfused(*args))
            print(f"{name:22} {op:8} {t_plain / t_f:11.1f} {t_jit / t_f:8.2f} "
                  f"{t_unfused / t_f:10.2f} {t_plain / t_jit:8.1f}x {t_record / t_plain:16.2f}")
    long_program()


def long_program(length=10_000, calls=5, repeats=3):
    """The grad of a 10,000-op scalar chain (about 25,000 recorded steps): each of its first
    calls (the recording, the replays) as a ratio to one unstaged call, the best of `repeats`
    fresh ad.jit's; replays bit for bit the unstaged result."""
    fn, x = ad.grad(W.chain(np, length)), np.asarray(0.3)
    t_plain = best(lambda: fn(x), budget=1.0)
    want = fn(x)
    times = [float("inf")] * calls
    for _ in range(repeats):
        jitted = ad.jit(fn)
        for k in range(calls):
            t0 = time.perf_counter()
            got = jitted(x)
            times[k] = min(times[k], time.perf_counter() - t0)
            assert got == want
    steps = jitted.programs(x)[0].recorded_steps
    print(f"\nchain {length} ops, grad: {steps} recorded steps, unstaged {t_plain * 1e3:.0f} ms")
    print("call:       " + " ".join(f"{name:>10}" for name in
                                    ["record"] + [f"replay {k}" for k in range(1, calls)]))
    print("/unstaged:  " + " ".join(f"{t / t_plain:10.2f}" for t in times))


if __name__ == "__main__":
    main()
