"""Where ad.jit pays in the second-order toolkit: each entry point timed with staging off
(jit=False) and on (jit=True), in the same run, on small, medium and large problems.

    python benchmarks/toolkit_jit.py            # every table
    python benchmarks/toolkit_jit.py --quick    # fewer repeats

Per-call rows time a derivative evaluated repeatedly, recorded at its third call and kept
(the toolkit's own timing switched off, to show what a replay costs even where it loses);
`record` is what staging costs once, the recording call and the replays up to the one that
compiles the program less as many compiled replays, over the unstaged call. Whole runs use
the toolkit as it is:
recorded once the unstaged calls have taken about what a recording costs, and given up where
the replays are timed no faster. Whole-run rows (minimize, curvature
estimators) include the recordings. The columns are ratios within this run: compare them, not
the absolute times of different runs (the machine is shared).
"""
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import autodiff as ad  # noqa: E402
from autodiff import staged_calls  # noqa: E402
import workloads as W  # noqa: E402

BUDGET = 0.05 if "--quick" in sys.argv else 0.25


def best(fn, budget=None):
    """The best time of one call, over repeats filling about `budget` seconds."""
    budget = BUDGET if budget is None else budget
    fn()
    t0 = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t0, 1e-7)
    times = []
    for _ in range(max(3, min(2000, int(budget / once)))):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def once(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def problems():
    """(name, f, x, args, size class): Rosenbrock and logistic regression (data as args)."""
    rng = np.random.default_rng(0)
    rosen = W.rosenbrock(np)
    logistic = lambda w, X, y: W.logistic(np, X, y)(w)  # noqa: E731
    for n, size in ((10, "small"), (1000, "medium"), (100_000, "large")):
        yield f"rosenbrock n={n}", rosen, rng.uniform(-0.5, 0.5, n), (), size
    for (m, d), size in (((100, 20), "small"), ((1000, 50), "medium"),
                         ((10_000, 100), "large")):
        X = rng.standard_normal((m, d))
        y = (X @ rng.standard_normal(d) > 0).astype(float)
        yield f"logistic {m}x{d}", logistic, 0.1 * rng.standard_normal(d), (X, y), size


def recording(call):
    """After the unstaged calls (2), the recording call plus the replays up to the one that
    compiles (the first ones interpret the recording), less what as many compiled replays
    but one take: what staging costs once, with one replay (subtracted by the caller)."""
    call()
    call()
    interpreted = ad.staging.INTERPRETED_REPLAYS
    total = sum(once(call)[0] for _ in range(interpreted + 2))
    replay = min(once(call)[0] for _ in range(3))
    return total - interpreted * replay


def row(name, what, off, on, record=None):
    rec = f"{record:8.1f}" if record is not None else f"{'':8}"
    print(f"{name:22} {what:28} {off * 1e6:11.0f} {on * 1e6:11.0f} {off / on:8.2f}x {rec}",
          flush=True)


def header(title):
    print(f"\n{title}\n{'problem':22} {'call':28} {'off (us)':>11} {'on (us)':>11} "
          f"{'speed-up':>9} {'record':>8}")


def per_call():
    """Repeated calls of one derivative: replays against the unstaged call (recorded at the
    third call and kept, to time the replays and the recording themselves)."""
    staged_calls.RECORD_AFTER, staged_calls.TIMED_REPLAYS = 0.0, 0
    try:
        _per_call()
    finally:
        staged_calls.RECORD_AFTER, staged_calls.TIMED_REPLAYS = RECORD_AFTER, TIMED_REPLAYS


RECORD_AFTER, TIMED_REPLAYS = staged_calls.RECORD_AFTER, staged_calls.TIMED_REPLAYS


def _per_call():
    header("Repeated derivatives, per call (record: recording + compiling / the unstaged call)")
    rng = np.random.default_rng(1)
    for name, f, x, args, size in problems():
        n = x.size
        flat = lambda z, f=f, args=args: f(z, *args)  # noqa: E731
        v = rng.standard_normal(n)
        # hvp_fn's product at one x (Lanczos, CG): the same sweep over the recorded gradient
        plain, staged = ad.hvp_fn(flat, x, jit=False), ad.hvp_fn(flat, x, jit=True)
        t_rec = recording(lambda: staged(v))
        assert np.array_equal(staged(v), plain(v))
        t_off, t_on = best(lambda: plain(v)), best(lambda: staged(v))
        row(name, "hvp_fn product", t_off, t_on, (t_rec - t_on) / t_off)
        # an operator's matmat with 10 columns (a block of Hutchinson probes)
        V = rng.choice([-1.0, 1.0], size=(n, 10))
        op_off = ad.curvature.hessian_operator(f, x, args, jit=False)
        op_on = ad.curvature.hessian_operator(f, x, args, jit=True)
        t_rec = recording(lambda: op_on.matmat(V))
        assert np.array_equal(op_on.matmat(V), op_off.matmat(V))
        t_off, t_on = best(lambda: op_off.matmat(V)), best(lambda: op_on.matmat(V))
        row(name, "hessian_operator @ (n, 10)", t_off, t_on, (t_rec - t_on) / t_off)
        # minimize's derivatives at a new iterate each call
        points = [x + 1e-3 * rng.standard_normal(n) for _ in range(8)]
        objs = {jit: ad.optimize.scipy_objective(f, x, args, jit=jit) for jit in (False, True)}
        cycle = {jit: iter(range(10**9)) for jit in (False, True)}

        def at(jit, call):
            k = next(cycle[jit]) % len(points)
            obj = objs[jit]
            obj._x = None  # a new iterate: no cached value and gradient
            return call(obj, points[k])

        jac = lambda obj, z: obj.jac(z)  # noqa: E731
        hessp = lambda obj, z: obj.hessp(z, v)  # noqa: E731
        hess = lambda obj, z: obj.hess(z)  # noqa: E731
        calls = [("minimize: jac at a new x", jac), ("minimize: hessp at a new x", hessp)]
        if n <= 1000:
            calls.append(("minimize: hess at a new x", hess))
        for what, call in calls:
            t_rec = recording(lambda: at(True, call))
            t_off, t_on = best(lambda: at(False, call)), best(lambda: at(True, call))
            row(name, what, t_off, t_on, (t_rec - t_on) / t_off)
        # a sparse Hessian at a new x each call (Rosenbrock: tridiagonal, 3 colors)
        if name.startswith("rosenbrock"):
            sh = {jit: ad.sparse_hessian(flat, jit=jit) for jit in (False, True)}
            k = [0]

            def sparse(jit):
                k[0] += 1
                return sh[jit](points[k[0] % len(points)])

            sparse(True)  # detects the pattern and colors it
            t_rec = recording(lambda: sparse(True))
            t_off, t_on = best(lambda: sparse(False)), best(lambda: sparse(True))
            row(name, "sparse_hessian at a new x", t_off, t_on, (t_rec - t_on) / t_off)


def whole_runs():
    """Whole runs, recordings included: the same result on and off, bit for bit."""
    header("Whole runs (recordings included; the results are identical on and off)")
    for name, f, x, args, size in problems():
        methods = ["newton-cg", "trust-ncg"]
        if x.size <= 100:  # (formed Hessians)
            methods += ["trust-exact", "newton"]
        for method in methods:
            options = {"maxiter": {"small": 200, "medium": 50, "large": 20}[size]}
            run = lambda jit: ad.optimize.minimize(f, x, method, args=args,  # noqa: E731
                                                   options=options, jit=jit)
            t_off, r_off = once(lambda: run(False))
            t_on, r_on = once(lambda: run(True))
            assert np.array_equal(r_off.x, r_on.x) and r_off.nit == r_on.nit, method
            if size == "small":  # (larger runs: one each, they take seconds)
                t_off = min(t_off, best(lambda: run(False), 0.2))
                t_on = min(t_on, best(lambda: run(True), 0.2))
            row(name, f"minimize {method} ({r_off.nit} it)", t_off, t_on)
        estimators = [
            ("hessian_trace (Hutchinson)",
             lambda jit: ad.curvature.hessian_trace(f, x, args, max_samples=50, tol=0,
                                                    jit=jit).trace),
            ("hessian_eigenvalues LA (Lanczos)",
             lambda jit: ad.curvature.hessian_eigenvalues(f, x, k=2, args=args, jit=jit)),
            ("spectral_density 1 probe",
             lambda jit: ad.curvature.spectral_density(f, x, args, num_steps=min(30, x.size),
                                                       jit=jit).nodes),
        ]
        for what, run in estimators:
            t_off, a = once(lambda: run(False))
            t_on, b = once(lambda: run(True))
            assert np.array_equal(a, b), what
            if size == "small":
                t_off = min(t_off, best(lambda: run(False), 0.2))
                t_on = min(t_on, best(lambda: run(True), 0.2))
            row(name, what, t_off, t_on)


def main():
    ad.tune_allocator()
    print("ad.jit in the toolkit: off = jit=False, on = jit=True (one thread)")
    per_call()
    whole_runs()


if __name__ == "__main__":
    main()
