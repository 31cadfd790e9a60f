"""The toolkit's staging (ad.jit on repeated derivatives): every entry point gives bit for bit
the same numbers with it on and off, stages where it says it does (f's Python stops running
once recorded), and falls back to the unstaged computation where staging cannot apply."""
import concurrent.futures

import numpy as np
import pytest

pytest.importorskip("scipy")

import autodiff as ad  # noqa: E402
from autodiff.curvature import (condition_number, hessian_eigenvalues,  # noqa: E402
                                hessian_operator, hessian_trace, spectral_density)
from autodiff.optimize import minimize, scipy_objective  # noqa: E402
from autodiff.pytree import ravel_pytree  # noqa: E402
from autodiff import staged_calls  # noqa: E402


@pytest.fixture(autouse=True)
def staging_never_timed_out(monkeypatch):
    """Whether replays are kept depends on timing (staged_calls.Repeated); these tests check
    staging itself, so it is kept, and recorded at the third call (the timing is checked by
    test_replays_slower_than_plain_calls_are_given_up and test_recorded_once_...)."""
    monkeypatch.setattr(staged_calls, "TIMED_REPLAYS", 0)
    monkeypatch.setattr(staged_calls, "RECORD_AFTER", 0.0)  # recorded at the third call


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic(w, X, y):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z) + 0.005 * np.sum(w * w)


def kinks(x):  # masks recorded in the program, recomputed at every replay
    return np.sum(np.abs(x) * np.maximum(x, 0.1) + np.where(x > 0, x ** 3, np.sin(x)))


def branchy(x):  # a guard: Python branches on a value
    if x[0] > 0:
        return np.sum(x ** 2 * np.cos(x)) + np.prod(x[:3])
    return np.sum(np.exp(-x ** 2)) + x[1] * x[2]


def counted(f):
    """f, and a list that grows each time f's Python runs."""
    calls = []

    def g(*args):
        calls.append(1)
        return f(*args)
    return g, calls


RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((40, 6)), (RNG.random(40) > 0.5).astype(float)
CASES = [(rosenbrock, (), 12), (kinks, (), 9), (branchy, (), 7),
         (logistic, (X, Y), 6)]


def points(n, k=5, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, n) for _ in range(k)]


@pytest.mark.parametrize("f, args, n", CASES)
def test_hvp_fn_products_are_the_same_on_and_off(f, args, n):
    for x in points(n, 3):
        on, off = ad.hvp_fn(f, x, args=args, jit=True), ad.hvp_fn(f, x, args=args, jit=False)
        for v in points(n, 5, seed=2):
            assert np.array_equal(on(v), off(v))
        assert on.staged is not None and off.staged is None
        assert on.staged.jitted.programs(v, x, *args), "the products after the first are recorded"


def test_hvp_fn_of_a_pytree_is_staged_too():
    f = lambda p: np.sum(p["a"] ** 2) * np.sin(p["b"][0, 1]) + np.sum(p["b"] ** 3)  # noqa: E731
    x = {"a": np.arange(3.0), "b": np.ones((2, 2))}
    on, off = ad.hvp_fn(f, x, jit=True), ad.hvp_fn(f, x, jit=False)
    for s in range(4):
        v = {"a": np.full(3, s + 0.5), "b": np.eye(2) * s}
        got, want = on(v), off(v)
        assert np.array_equal(got["a"], want["a"]) and np.array_equal(got["b"], want["b"])
    assert on.staged.jitted.programs(v, x)


def test_hvp_fn_at_an_x_changed_later_in_place():
    """The products are at x as it was (the unstaged recording used to keep references to x's
    array, so a change in place gave a mix of the old and the new x)."""
    x = np.linspace(0.1, 1.0, 5)
    on, off = ad.hvp_fn(rosenbrock, x, jit=True), ad.hvp_fn(rosenbrock, x, jit=False)
    x0 = x.copy()
    x[:] = 7.0
    for v in points(5, 4):
        assert np.array_equal(on(v), off(v))
        assert np.array_equal(off(v), ad.hvp_fn(rosenbrock, x0, jit=False)(v))


def test_hvp_fn_falls_back_to_its_sweep_for_good_when_unstaged():
    f = lambda x: np.sum(x ** 3) * float(ad.stop_gradient(x[0]))  # noqa: E731
    x = np.linspace(0.1, 1.0, 5)
    on, off = ad.hvp_fn(f, x, jit=True), ad.hvp_fn(f, x, jit=False)
    for v in points(5, 4):
        assert np.array_equal(on(v), off(v))
    assert on.staged.given_up


def test_hvp_fn_takes_python_numbers_unstaged():
    on = ad.hvp_fn(lambda x: x ** 3, 2.0, jit=True)
    assert [on(1.0) for _ in range(3)] == [12.0] * 3


def test_the_switch_and_the_keyword():
    x = np.linspace(0.1, 1.0, 4)
    assert "staged_toolkit" in ad.shortcuts.NAMES  # on by default (unless AUTODIFF_PLAIN=1)
    assert (ad.hvp_fn(rosenbrock, x).staged is not None) == \
        ad.shortcuts.enabled("staged_toolkit")
    with ad.shortcuts.disabled("staged_toolkit"):
        assert ad.hvp_fn(rosenbrock, x).staged is None
        assert ad.hvp_fn(rosenbrock, x, jit=True).staged is not None  # the keyword wins
    with ad.shortcuts.disabled():
        assert ad.hvp_fn(rosenbrock, x).staged is None
    with pytest.raises(TypeError, match="jit must be True, False or None"):
        ad.hvp_fn(rosenbrock, x, jit="yes")
    with pytest.raises(TypeError, match="minimize: jit must be"):
        minimize(rosenbrock, x, jit=1)


def test_a_value_of_an_enclosing_transform_is_not_staged():
    def outer(y, jit, x=np.arange(1.0, 4.0)):
        p = ad.hvp_fn(lambda x: np.sum(x ** 3) * y, x, jit=jit)
        return np.sum(p(x) + p(np.ones(3)) + p(x) + p(np.ones(3)))
    assert ad.grad(outer)(2.0, True) == ad.grad(outer)(2.0, False) == 2 * (84 + 36)

    def closing(y, jit, x=np.arange(1.0, 4.0)):  # the traced y only in f's closure
        p = ad.hvp_fn(lambda x: np.sum(x ** 3) * y, x, jit=jit)
        return [p(np.ones(3)) for _ in range(4)]
    got, want = ad.jacfwd(closing)(2.0, True), ad.jacfwd(closing)(2.0, False)
    assert all(np.array_equal(a, b) for a, b in zip(got, want))


@pytest.mark.parametrize("f, args, n", CASES)
def test_hessian_operator_is_the_same_on_and_off_and_stops_running_f(f, args, n):
    g, calls = counted(f)
    x = points(n, 1)[0]
    on, off = hessian_operator(g, x, args, jit=True), hessian_operator(f, x, args, jit=False)
    V = np.column_stack(points(n, 3, seed=3))
    for v in points(n, 3, seed=6):  # the third calls record
        assert np.array_equal(on.matmat(V), off.matmat(V))
        assert np.array_equal(on.matvec(v), off.matvec(v))
    before = len(calls)
    for v in points(n, 4, seed=4):
        assert np.array_equal(on.matvec(v), off.matvec(v))
        assert np.array_equal(on.matmat(V), off.matmat(V))
    assert len(calls) == before, "a replayed matmat does not run f's Python"


def test_hessian_operator_matmat_with_an_executor_on_and_off():
    x = points(8, 1)[0]
    V = np.column_stack(points(8, 6, seed=5))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        on = hessian_operator(rosenbrock, x, executor=pool, chunk_size=2, jit=True)
        off = hessian_operator(rosenbrock, x, jit=False)
        for _ in range(3):
            assert np.array_equal(on.matmat(V), off.matmat(V))


def test_curvature_estimators_are_the_same_on_and_off():
    x = points(30, 1)[0]
    for jit_off, jit_on in ((False, True),):
        a = hessian_trace(rosenbrock, x, max_samples=40, tol=0, jit=jit_off)
        b = hessian_trace(rosenbrock, x, max_samples=40, tol=0, jit=jit_on)
        assert a == b
        for which in ("LA", "SA"):
            a = hessian_eigenvalues(rosenbrock, x, k=2, which=which, jit=jit_off,
                                    return_eigenvectors=True)
            b = hessian_eigenvalues(rosenbrock, x, k=2, which=which, jit=jit_on,
                                    return_eigenvectors=True)
            assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        for probes in (1, 3):
            a = spectral_density(rosenbrock, x, num_steps=12, num_probes=probes, jit=jit_off)
            b = spectral_density(rosenbrock, x, num_steps=12, num_probes=probes, jit=jit_on)
            assert np.array_equal(a.nodes, b.nodes) and np.array_equal(a.weights, b.weights)


def test_curvature_estimators_stage_only_when_asked(monkeypatch):
    """Whole estimator runs measured 0.6-1.2x with staging (docs/performance.md): off by
    default, whatever the staged_toolkit switch says; jit=True (or None: the switch) stages."""
    made = []
    real = staged_calls.Repeated.__init__

    def init(self, *args, **kwargs):
        made.append(1)
        real(self, *args, **kwargs)
    monkeypatch.setattr(staged_calls.Repeated, "__init__", init)
    x = points(30, 1)[0]
    hessian_trace(rosenbrock, x, max_samples=20, tol=0)
    hessian_eigenvalues(rosenbrock, x, k=2)
    spectral_density(rosenbrock, x, num_steps=8)
    condition_number(rosenbrock, x)
    assert made == []
    hessian_trace(rosenbrock, x, max_samples=20, tol=0, jit=True)
    assert made
    before = len(made)
    hessian_eigenvalues(rosenbrock, x, k=2, jit=None)
    assert len(made) > before


@pytest.mark.parametrize("f, args, n", CASES[:3])
def test_sparse_hessian_is_the_same_on_and_off_with_one_program_per_pattern(f, args, n):
    g, calls = counted(f)
    on, off = ad.sparse_hessian(g, jit=True), ad.sparse_hessian(f, jit=False)
    for k, x in enumerate(points(n, 6)):
        a, b = on(x), off(x)
        assert (a != b).nnz == 0 and np.array_equal(a.toarray(), b.toarray())
        if k == 3:
            before = len(calls)
    if f is not branchy:  # (branchy's guards may record again)
        assert len(calls) == before, "replayed sweeps do not run f's Python"
    assert on._sweeps.jitted is not None


def test_sparse_hessian_with_many_colors_replays_within_one_call():
    f = lambda x: np.sum(x ** 2) ** 2  # noqa: E731  (dense: n colors, chunks of 64)
    x = points(200, 1)[0]
    a = ad.sparse_hessian(f, jit=True)(x)
    b = ad.sparse_hessian(f, jit=False)(x)
    assert np.array_equal(a.toarray(), b.toarray())
    assert np.array_equal(ad.hessian_times_matrix(f, x, np.eye(200), jit=True),
                          ad.hessian_times_matrix(f, x, np.eye(200), jit=False))


METHODS = ["newton", "newton-cg", "trust-ncg", "trust-krylov", "trust-exact", "dogleg",
           "bfgs", "l-bfgs-b", "trust-constr"]


@pytest.mark.parametrize("method", METHODS)
def test_minimize_is_the_same_run_on_and_off(method):
    x0 = np.full(6, 0.3)
    a = minimize(rosenbrock, x0, method, jit=False, options={"maxiter": 30})
    b = minimize(rosenbrock, x0, method, jit=True, options={"maxiter": 30})
    assert np.array_equal(a.x, b.x) and a.fun == b.fun and a.nit == b.nit
    assert np.array_equal(a.jac, b.jac)
    assert (a.nfev, a.nhev, a.nhvp) == (b.nfev, b.nhev, b.nhvp)


def test_minimize_with_data_args_and_a_pytree():
    f = lambda p, X, y: logistic(np.concatenate([p["w"], p["b"]]), X, y)  # noqa: E731
    x0 = {"w": np.zeros(5), "b": np.zeros(1)}
    for method in ("newton-cg", "trust-exact", "newton"):
        a = minimize(f, x0, method, args=(X, Y), jit=False)
        b = minimize(f, x0, method, args=(X, Y), jit=True)
        assert np.array_equal(a.x["w"], b.x["w"]) and a.nit == b.nit


def test_minimize_runs_f_once_per_recording():
    g, calls = counted(rosenbrock)
    minimize(g, np.full(5, 0.3), "newton-cg", jit=False)
    unstaged = len(calls)
    calls.clear()
    res = minimize(g, np.full(5, 0.3), "newton-cg", jit=True)
    assert res.success and 0 < len(calls) < unstaged / 3


def test_array_args_are_arguments_of_the_recordings_not_frozen():
    Xc = X.copy()
    on = scipy_objective(logistic, np.zeros(6), (Xc, Y), jit=True)
    off = scipy_objective(logistic, np.zeros(6), (Xc, Y), jit=False)
    for k, w in enumerate(points(6, 5)):
        Xc *= 1.1  # data changed in place between iterates
        assert np.array_equal(on.jac(w), off.jac(w))
        assert np.array_equal(on.hessp(w, w), off.hessp(w, w))
        assert np.array_equal(on.hess(w), off.hess(w))


def test_objective_with_non_array_args():
    f = lambda x, scale, name: scale * np.sum(x ** 4)  # noqa: E731
    on = scipy_objective(f, np.ones(3), (2.0, "label"), jit=True)
    off = scipy_objective(f, np.ones(3), (2.0, "label"), jit=False)
    for w in points(3, 4):
        assert np.array_equal(on.jac(w), off.jac(w))
        assert np.array_equal(on.hessp(w, w + 1), off.hessp(w, w + 1))


def test_a_float_read_falls_back_to_the_unstaged_computation():
    f = lambda x: np.sum(x ** 2) * float(ad.stop_gradient(x[0]))  # noqa: E731
    on = scipy_objective(f, np.ones(3), jit=True)
    off = scipy_objective(f, np.ones(3), jit=False)
    for w in points(3, 4):
        assert np.array_equal(on.jac(w), off.jac(w))
        assert np.array_equal(on.hess(w), off.hess(w))
    assert "reads a value of dtype float64" in on._value_and_grad.jitted.unstaged_reason(w)


def test_guards_that_keep_changing_stop_the_recordings():
    f = lambda x: np.sum(x ** 2) * x[int(np.argmax(x))]  # noqa: E731  (a guard per argmax)
    g, calls = counted(f)
    n = 60
    on = scipy_objective(g, np.ones(n), jit=True)
    off = scipy_objective(f, np.ones(n), jit=False)
    for k in range(n):
        w = np.zeros(n)
        w[k] = 1.0  # a new argmax at every point
        assert np.array_equal(on.jac(w), off.jac(w))
    assert on._value_and_grad.jitted.unstaged_reason(w) == "its guards kept changing"
    calls.clear()
    on.jac(w + 1.0)
    assert len(calls) == 1  # runs unstaged now, not recording again


def test_unravel_does_not_read_values():
    """A function of a raveled pytree is staged (unravel used to read each piece's values to
    see if they were complex, which left every such function unstaged)."""
    _, unravel = ravel_pytree({"a": np.ones(2), "b": np.ones((2, 2))})
    f = ad.jit(lambda z: np.sum(unravel(z)["b"] ** 2))
    z = np.arange(6.0)
    assert f(z) == f(z) == 54.0
    assert f.unstaged_reason(z) is None and f.programs(z)


@pytest.mark.parametrize("replay, given_up", [(0.5, False), (1.0, True), (2.0, True)])
def test_replays_slower_than_plain_calls_are_given_up(monkeypatch, replay, given_up):
    monkeypatch.setattr(staged_calls, "TIMED_REPLAYS", 3)
    # the clock's readings: two plain calls of 1 s, then (after the recording, the
    # interpreted replays and the one compiling the program, not timed) three replays, the
    # fastest of `replay` s
    ticks = iter([0.0, 1.0, 1.0, 2.0] + [2.0, 5.0, 3.0, 3.0 + replay, 4.0, 4.5 + replay])
    monkeypatch.setattr(staged_calls, "_clock", lambda: next(ticks))
    runs = []

    def named(name):
        def fun(x):
            runs.append(name)
            return x * 2.0
        return fun
    r = staged_calls.Repeated(named("fun"), named("plain"))
    for k in range(10 + ad.staging.INTERPRETED_REPLAYS):
        assert np.array_equal(r(np.full(3, float(k))), np.full(3, 2.0 * k))
    assert r.given_up is given_up
    # plain twice, fun recorded, then replays (no Python run), plain again if given up
    assert runs == ["plain", "plain", "fun"] + ["plain"] * (3 if given_up else 0)


def test_ad_jits_giving_up_is_noticed():
    f = lambda x: x * float(x[0])  # noqa: E731
    r = staged_calls.Repeated(f)
    for k in range(5):
        assert np.array_equal(r(np.full(2, 3.0)), np.full(2, 9.0))
    assert r.given_up and r.jitted.unstaged_reason(np.full(2, 3.0))


def test_recorded_once_the_plain_calls_took_what_a_recording_costs(monkeypatch):
    monkeypatch.setattr(staged_calls, "RECORD_AFTER", 3.5)
    now = [0.0]

    def clock():
        now[0] += 1.0  # each plain call takes 1 s
        return now[0]
    monkeypatch.setattr(staged_calls, "_clock", clock)
    runs = []

    def named(name):
        def fun(x):
            runs.append(name)
            return x + 1.0
        return fun
    r = staged_calls.Repeated(named("fun"), named("plain"))
    for k in range(7):
        assert np.array_equal(r(np.full(2, float(k))), np.full(2, k + 1.0))
    assert runs == ["plain"] * 4 + ["fun"]  # 4 s of plain calls, then the recording


def test_hvp_fn_products_through_0d_masks_keep_the_sign_of_zeros():
    """A gradient through a mask of a 0-d value (np.where, clip, ... of a scalar argument):
    the staged products gave 0.0 where the unstaged sweep gave -0.0 (the unstaged rules
    multiplied by the np.bool_ mask, the staged ones selected with it)."""
    def f(z):
        a, b = z[0:1].reshape((1, 1)), z[1:2].reshape(())
        return (np.where(b > 0.0, 0.0, b * b) + a[0, 0]) ** 2
    x = np.array([0.035, 1.35])
    on, off = ad.hvp_fn(f, x, jit=True), ad.hvp_fn(f, x, jit=False)
    v = np.array([-1.25, -0.6])
    for _ in range(5):
        got, want = on(v), off(v)
        assert np.array_equal(got, want) and \
            np.array_equal(np.signbit(got), np.signbit(want)), (got, want)
    assert on.staged.jitted.programs(v, x)
