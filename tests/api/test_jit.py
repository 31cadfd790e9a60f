"""ad.jit: a replay returns exactly what the function returns (bit for bit), re-records where a
guard (a branch on values) changes, or runs the function itself; never a stale result."""
import threading

import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def kinks(x):  # masks of abs, maximum, minimum, clip and where
    return np.sum(np.abs(x) * np.maximum(x, 0.3) + np.minimum(x, -0.2) ** 2) \
        + np.sum(np.where(x > 0, x ** 3, np.sin(x))) + np.sum(np.clip(x, -0.5, 0.5) ** 2)


def branchy(x):  # Python control flow on values
    if x[0] > 0:
        return np.sum(x ** 2 * np.cos(x))
    return np.sum(np.exp(-x ** 2))


def reductions(x):
    return np.max(x) * np.prod(np.tanh(x)) + np.linalg.norm(x) + np.mean(np.log1p(x ** 2))


def slices(x):  # repeated indexes: the sweep accumulates into one buffer
    return np.sum(x[np.array([0, 1, 1, 0])] ** 2) + np.sum(np.sin(x[1:]) * x[:-1])


def logistic(w, X=np.random.default_rng(1).standard_normal((30, 4))):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - 0.5 * z) + 0.01 * np.sum(w * w)


FUNCTIONS = [rosenbrock, kinks, branchy, reductions, slices, logistic]


def derivatives(f):
    return {"grad": ad.grad(f), "hessian": ad.hessian(f),
            "hvp": lambda x, v: ad.hvp(f, x, v),
            "value_and_grad": ad.value_and_grad(f),
            "jacfwd(grad)": ad.jacfwd(ad.grad(f))}


def identical(got, want):
    if isinstance(want, (tuple, list)):
        return type(got) is type(want) and all(identical(g, w) for g, w in zip(got, want))
    return type(got) is type(want) and np.shape(got) == np.shape(want) and \
        np.asarray(got).dtype == np.asarray(want).dtype and \
        np.array_equal(got, want, equal_nan=True) and \
        np.array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kind", ["grad", "hessian", "hvp", "value_and_grad", "jacfwd(grad)"])
def test_replays_are_bit_for_bit_the_unstaged_results_at_fresh_points(f, kind):
    fun = derivatives(f)[kind]
    jitted = ad.jit(fun)
    rng = np.random.default_rng(0)
    for _ in range(6):
        x = rng.uniform(-1.0, 1.0, 4)
        args = (x, rng.standard_normal(4)) if kind == "hvp" else (x,)
        assert identical(jitted(*args), fun(*args))
    assert jitted.unstaged_reason(*args) is None, jitted.unstaged_reason(*args)
    assert jitted.programs(*args)  # it was staged, and replayed


def chain_of(length):
    def f(x):
        for _ in range(length):
            x = np.sin(x) * 1.0001
        return x
    return f


@pytest.mark.parametrize("name, fun, args", [
    ("hvp", lambda x, v: ad.hvp(rosenbrock, x, v), 2),  # slices, in-place accumulation
    ("hessian", ad.hessian(slices), 1),  # repeated indexes: a buffer added into
    ("jacfwd", ad.jacfwd(ad.grad(rosenbrock)), 1),  # a constant buffer added into (a copy)
    ("kinks", ad.value_and_grad(kinks), 1),  # masks; merged and dead steps
    ("logistic", ad.grad(logistic), 1),  # a closed-over constant
    ("constants", lambda x: (np.sin(x), np.arange(3.0), 2.5), 1),  # outputs not computed
    ("chain", ad.grad(chain_of(300)), 1),  # a long scalar chain (0-d input)
])
def test_interpreted_and_compiled_replays_agree_bit_for_bit(name, fun, args):
    """The first INTERPRETED_REPLAYS replays run the recording step by step, the later ones
    the compiled program: both return the unstaged results, bit for bit."""
    rng = np.random.default_rng(5)
    shape = () if name == "chain" else (4,)
    points = [tuple(rng.uniform(-0.9, 0.9, shape) for _ in range(args)) for _ in range(2)]
    jitted = ad.jit(fun)
    jitted(*points[0])  # records
    (program,) = jitted.programs(*points[0])
    results = {0: [], 1: []}
    for k in range(ad.staging.INTERPRETED_REPLAYS + 4):  # interpreted, compiling, compiled
        assert program.compiled == (k > ad.staging.INTERPRETED_REPLAYS)
        got = jitted(*points[k % 2])
        assert identical(got, fun(*points[k % 2])), (name, k)
        results[k % 2].append(got)
        if name == "constants":
            got[1][:] = -1.0  # a returned constant is the caller's copy
    for same_point in results.values():
        assert all(identical(r, same_point[0]) for r in same_point)
    assert program.compiled and jitted.programs(*points[0]) == [program]
    assert program.replays == ad.staging.INTERPRETED_REPLAYS + 1  # counted until compiled


def test_an_interpreted_replay_frees_each_array_once_nothing_reads_it():
    import tracemalloc

    def f(x):
        for k in range(8):
            np.cos(x) * float(k)  # dead: nothing reads them
        for _ in range(20):
            x = np.sin(x)
        return x
    jitted = ad.jit(f)
    x = np.linspace(0.0, 1.0, 100_000)  # 0.8 MB an array
    jitted(x)
    tracemalloc.start()
    got = jitted(x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert not jitted.programs(x)[0].compiled and identical(got, f(x))
    assert peak < 5 * x.nbytes, peak


def test_a_branch_interpreted_misses_its_guard_and_records_the_other_outcome():
    jitted = ad.jit(ad.grad(branchy))
    x, y = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 2.0, 3.0])
    jitted(x)
    assert identical(jitted(y), ad.grad(branchy)(y))  # the interpreted replay misses
    assert len(jitted.programs(x)) == 2 and not any(p.compiled for p in jitted.programs(x))


def test_the_first_replays_neither_optimize_nor_compile(monkeypatch):
    """A long program's first replay costs about one unstaged call: optimizing and compiling
    (~10 us a step) wait until the program has been replayed INTERPRETED_REPLAYS times."""
    optimized = []
    original = ad.staging.Program._optimize
    monkeypatch.setattr(ad.staging.Program, "_optimize",
                        lambda self: (optimized.append(self), original(self)))
    jitted = ad.jit(ad.grad(rosenbrock))
    x = np.linspace(-0.5, 0.5, 7)
    for _ in range(1 + ad.staging.INTERPRETED_REPLAYS):
        assert identical(jitted(x), ad.grad(rosenbrock)(x))
    assert optimized == []
    assert identical(jitted(x), ad.grad(rosenbrock)(x))
    assert optimized == jitted.programs(x)


def test_a_branch_on_values_is_a_guard_that_records_each_outcome():
    jitted = ad.jit(ad.grad(branchy))
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([-1.0, 2.0, 3.0])
    for point in (x, y, x, y):
        assert identical(jitted(point), ad.grad(branchy)(point))
    programs = jitted.programs(x)
    assert len(programs) == 2  # one per outcome of `x[0] > 0`
    assert all(p.guards for p in programs)


def test_masks_are_staged_not_guarded():
    jitted = ad.jit(ad.grad(kinks))
    rng = np.random.default_rng(3)
    for _ in range(5):
        x = rng.uniform(-1, 1, 6)  # the sign pattern changes from call to call
        assert identical(jitted(x), ad.grad(kinks)(x))
    assert len(jitted.programs(x)) == 1  # recomputed at each replay: no re-recording


def test_side_effects_run_only_while_recording():
    calls = []

    def f(x):
        calls.append(1)
        return np.sum(np.sin(x))
    jitted = ad.jit(ad.grad(f))
    for k in range(3):
        jitted(np.full(3, 0.1 * k))
    assert len(calls) == 1
    jitted(np.zeros(4))  # a new shape is a new recording
    assert len(calls) == 2


def test_a_float_read_by_python_leaves_the_function_unstaged_and_correct():
    def f(x):
        scale = float(x[0])  # a Python float of a traced value: no guard can cover it
        return np.sum(x) * 2.0 if scale > 0 else np.sum(x)

    jitted = ad.jit(f)
    for point in (np.array([1.0, 2.0]), np.array([-1.0, 2.0])):
        assert identical(jitted(point), f(point))
    assert "reads a value" in jitted.unstaged_reason(point)


def test_read_of_an_integer_value_is_a_guard():
    def f(x):
        k = int(np.argmax(x))  # an index computed from values
        return x[k] * np.sum(x)
    jitted = ad.jit(ad.grad(f))
    for point in ([1.0, 3.0, 2.0], [1.0, 5.0, 2.0], [4.0, 3.0, 2.0], [1.0, 3.0, 2.0]):
        point = np.array(point)
        assert identical(jitted(point), ad.grad(f)(point))
    assert jitted.unstaged_reason(point) is None
    assert len(jitted.programs(point)) == 2  # argmax 1 and argmax 0


def test_the_plain_sweeps_buffer_never_takes_a_staged_sum():
    # was: a cotangent built of constants took the staged part in place, and the gradient
    # was recorded as a constant (every replay returned the first point's gradient)
    def f(a):
        return np.sum(a + a + 0.5 * np.mean(np.sin(a)))
    jitted = ad.jit(ad.grad(f))
    for point in (np.array([[0.3]]), np.array([[0.035]]), np.array([[-1.2]])):
        assert identical(jitted(point), ad.grad(f)(point))


def test_repeated_indexes_add_in_the_order_of_the_plain_sweep():
    # the sweep adds a slice's cotangent into its parent's buffer in place: the replay does it
    # in the same order, or the last bit differs
    def f(a):
        t0 = np.sin(a)
        return np.sum(np.sin(t0) + 0.5 * (np.mean(t0[np.array([1, 1, 1])]) + np.mean(np.sin(t0))))
    jitted = ad.jit(ad.grad(f))
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.uniform(-1.5, 1.5, 2)
        assert identical(jitted(x), ad.grad(f)(x))


def test_returned_arrays_are_the_callers():
    jitted = ad.jit(lambda x: (np.zeros(3), np.sum(x * x)))  # a constant output
    a, _ = jitted(np.ones(2))
    a[:] = 7.0
    b, _ = jitted(np.ones(2))
    assert np.all(b == 0.0)


def test_inputs_are_never_written():
    def f(x):
        return np.sum(x[np.array([0, 0, 1])] ** 2)
    jitted = ad.jit(ad.hessian(f))
    x = np.array([0.5, -1.0])
    before = x.copy()
    for _ in range(3):
        jitted(x)
    assert np.array_equal(x, before)


def test_closure_arrays_are_frozen_at_recording():
    c = np.array([1.0, 2.0])
    jitted = ad.jit(ad.grad(lambda x: np.sum(c * x ** 2)))
    x = np.array([1.0, 1.0])
    assert np.array_equal(jitted(x), [2.0, 4.0])
    c[:] = 10.0  # as documented: the recording holds a copy
    assert np.array_equal(jitted(x), [2.0, 4.0])


def test_jit_inside_a_transform_is_the_function_itself():
    f = ad.jit(lambda x: np.sum(np.sin(x) ** 2))
    x = np.array([0.3, 0.7])
    assert identical(ad.grad(f)(x), ad.grad(lambda x: np.sum(np.sin(x) ** 2))(x))
    assert identical(ad.jit(ad.grad(f))(x), ad.grad(lambda x: np.sum(np.sin(x) ** 2))(x))


def test_pytrees_and_several_arguments():
    def loss(params, X):
        return np.sum((X @ params["w"] + params["b"]) ** 2)
    g = ad.grad(loss)
    jitted = ad.jit(g)
    rng = np.random.default_rng(0)
    for _ in range(3):
        params = {"w": rng.standard_normal(3), "b": rng.standard_normal(())}
        X = rng.standard_normal((5, 3))
        got, want = jitted(params, X), g(params, X)
        assert got.keys() == want.keys() and all(identical(got[k], want[k]) for k in want)


def test_speed_shortcut_switches_are_part_of_the_key():
    g = ad.hessian(rosenbrock)
    jitted = ad.jit(g)
    x = np.array([0.3, -0.2, 0.5])
    jitted(x)
    with ad.shortcuts.disabled():
        assert identical(jitted(x), g(x))
    assert identical(jitted(x), g(x))


def test_unsupported_inputs_are_clear_errors():
    jitted = ad.jit(ad.grad(rosenbrock))
    with pytest.raises(TypeError, match="NumPy arrays"):
        jitted(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="NumPy arrays"):
        jitted("ab")
    with pytest.raises(TypeError, match="keyword arguments"):
        jitted(x=np.ones(3))
    with pytest.raises(TypeError, match="expected a function"):
        ad.jit(3)


def test_python_and_numpy_scalars_are_taken_as_0d_arrays():
    """As JAX does: a scalar argument is staged like a 0-d array (recorded once per dtype);
    an int that drives a Python loop becomes a guard."""
    def chain(x, n):
        for _ in range(n):
            x = np.sin(x) * 1.5
        return x

    grad = ad.jit(ad.grad(chain))
    for x in (0.3, np.float64(-0.7), 1.1):
        for n in (3, 3, 4):
            assert np.array_equal(grad(x, n), ad.grad(chain)(np.asarray(x), n))
    assert len(grad.programs(0.5, 3)) == 2  # one recording per loop length (guarded)
    pair = ad.jit(ad.grad(lambda p: p[0] * np.cos(p[1])))
    assert np.allclose(pair([1.0, 2.0]), [np.cos(2.0), -np.sin(2.0)])


def test_an_error_of_the_function_is_raised_at_every_call():
    def f(x):
        if x[0] > 0:
            raise ValueError("positive")
        return np.sum(x)
    jitted = ad.jit(f)
    assert identical(jitted(np.array([-1.0, 2.0])), f(np.array([-1.0, 2.0])))
    with pytest.raises(ValueError, match="positive"):
        jitted(np.array([1.0, 2.0]))


def test_threads_share_the_recordings_safely():
    g = ad.grad(kinks)
    jitted = ad.jit(g)
    rng = np.random.default_rng(0)
    points = [rng.uniform(-1, 1, 5) for _ in range(40)]
    errors = []

    def work(chunk):
        for x in chunk:
            if not identical(jitted(x), g(x)):
                errors.append(x)
    threads = [threading.Thread(target=work, args=(points[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_programs_are_lean():
    f = lambda x, v: ad.hvp(rosenbrock, x, v)  # noqa: E731
    jitted = ad.jit(f)
    x, v = np.ones(5), np.ones(5)
    jitted(x, v)
    jitted(x, v)
    (program,) = jitted.programs(x, v)
    assert len(program.steps) < program.recorded_steps  # f's value is dead code in an HVP
    assert "Staged" not in program.source and "Dual" not in program.source


def test_autodiff_numpy_style_works_too():
    f = lambda x: anp.sum(anp.tanh(x) ** 2)  # noqa: E731
    jitted = ad.jit(ad.hessian(f))
    x = np.array([0.1, 0.2, -0.3])
    assert identical(jitted(x), ad.hessian(f)(x))
    assert identical(jitted(x + 1.0), ad.hessian(f)(x + 1.0))


def test_a_buffer_a_view_still_reads_is_never_written():
    def f(x):  # y's buffer is read later through the view z: sin must not write into it
        y = x * 2.0
        z = y[1:]
        w = np.sin(y)
        return np.sum(w) + np.sum(z * z)
    x = np.linspace(0.1, 1.0, 50)
    for fn in (f, ad.grad(f)):
        jitted = ad.jit(fn)
        for point in (x, x + 0.5, x):
            assert identical(jitted(point), fn(point))


def test_elementwise_steps_reuse_dead_buffers_bit_for_bit():
    f = lambda x: np.sum(np.sin(x * 3.0) * np.exp(-x) + (x - 1.0) ** 2)  # noqa: E731
    with ad.shortcuts.disabled("fusion"):
        jitted = ad.jit(ad.grad(f))
        x = np.linspace(-1.0, 1.0, 1000)
        jitted(x)
        assert identical(jitted(x + 0.25), ad.grad(f)(x + 0.25))
        (program,) = jitted.programs(x)
    assert "out=" in program.source  # the reuse is there, and changed no bit


@pytest.mark.skipif(not ad.staging_fusion.available(), reason="numba is not installed")
def test_fusion_on_large_arrays_agrees_to_round_off_and_is_labelled():
    n = 2 * ad.staging_fusion.MIN_SIZE
    x = np.random.default_rng(3).uniform(-0.5, 0.5, n)
    v = np.random.default_rng(4).standard_normal(n)
    fn = lambda x, v: ad.hvp(rosenbrock, x, v)  # noqa: E731
    jitted = ad.jit(fn)
    for _ in range(ad.staging_fusion.WARMUP + 2):  # past the unfused warm-up calls
        got = jitted(x, v)
    want = fn(x, v)
    assert np.max(np.abs(got - want)) <= 1e-12 * np.max(np.abs(want))
    (program,) = jitted.programs(x, v)
    fused = [s for s in program.steps if s.label.startswith("fused(")]
    assert fused and all(type(s.impl) is ad.staging_fusion.Fused for s in fused)
    assert "fused(" in program.source
    with ad.shortcuts.disabled("fusion"):  # the switch: a program of its own, exact
        plain = ad.jit(fn)
        plain(x, v)
        assert identical(plain(x, v), want)
        assert not any(s.label.startswith("fused(") for s in plain.programs(x, v)[0].steps)


def test_without_numba_nothing_is_fused(monkeypatch):
    monkeypatch.setattr(ad.staging_fusion, "_numba", False)
    n = 2 * ad.staging_fusion.MIN_SIZE
    x = np.linspace(-0.5, 0.5, n)
    jitted = ad.jit(ad.grad(rosenbrock))
    for _ in range(ad.staging_fusion.WARMUP + 2):
        got = jitted(x)
    assert identical(got, ad.grad(rosenbrock)(x))
    assert not any(s.label.startswith("fused(") for s in jitted.programs(x)[0].steps)


def test_steps_have_readable_labels():
    jitted = ad.jit(ad.grad(rosenbrock))
    x = np.ones(4)
    jitted(x)
    labels = [s.label for s in jitted.programs(x)[0].steps]
    assert "getitem" in labels and "multiply" in labels and "square" in labels
    assert any(label.endswith("(in place)") for label in labels)


def test_a_closed_over_array_changed_between_uses_is_recorded_as_each_use_saw_it():
    X = np.arange(6.0).reshape(2, 3)

    def f(w):  # writes into X between two uses, and restores it: a replay must see both
        a = np.sum(X @ w)
        X[0, 0] += 10.0
        b = np.sum((w @ X.T) ** 2)
        X[0, 0] -= 10.0
        return a * b

    jitted = ad.jit(ad.grad(f))
    w = np.array([0.5, -1.0, 2.0])
    for point in (w, w + 1.0):
        assert identical(jitted(point), ad.grad(f)(point))
    assert jitted.programs(w)


def test_a_write_into_a_view_of_a_closed_over_array_is_seen_by_the_uses_after_it():
    X = np.arange(12.0).reshape(4, 3)

    def f(w):  # the uses are views at offsets; each write lies in the view used next
        a = np.sum(X[1:] @ w)
        X[3, 2] *= -1.0
        b = np.sum((X[1:] @ w) ** 2)
        X[3, 2] *= -1.0
        X[2, 0] += 1.0
        c = np.sum(X[2:].T @ (X[2:] @ w))
        X[2, 0] -= 1.0
        return a * b + c

    jitted = ad.jit(ad.grad(f))
    w = np.array([0.5, -1.0, 2.0])
    for point in (w, w + 1.0, w * 3.0):
        assert identical(jitted(point), ad.grad(f)(point))
    assert jitted.programs(w)


def test_bit_comparisons_of_snapshots_tell_signed_zeros_and_offsets_apart():
    from autodiff.staging import _identical
    a = np.zeros((3, 4))
    b = a.copy()
    b[2, 3] = -0.0
    assert _identical(a[:2], b[:2]) and _identical(a[:, :2].T, b[:, :2].T)
    assert not _identical(a, b) and not _identical(a[1:], b[1:]) and not _identical(a.T, b.T)
    assert _identical(np.full(3, np.nan), np.full(3, np.nan))
    assert not _identical(a, a.astype(np.float32)) and not _identical(a, a[:, :3])


def test_merged_steps_have_the_same_parameters_exactly():
    from autodiff.staging import _params_key
    assert _params_key({"index": (slice(1, None),)}) == _params_key({"index": (slice(1, None),)})
    assert _params_key({"index": (slice(1, None),)}) != _params_key({"index": (slice(None, -1),)})
    assert _params_key({"a": 0.0}) != _params_key({"a": -0.0})  # equal, not the same
    assert _params_key({"a": 1}) != _params_key({"a": True}) != _params_key({"a": 1.0})
    assert _params_key({"a": np.zeros(2)}) is None  # never merged


def test_repeated_slices_are_computed_once():
    jitted = ad.jit(lambda x, v: ad.hvp(rosenbrock, x, v))
    x, v = np.ones(5), np.ones(5)
    jitted(x, v)
    jitted(x, v)
    source = jitted.programs(x, v)[0].source
    assert source.count("v1[") == 2  # v[1:] and v[:-1], each once


@pytest.mark.skipif(not ad.staging_fusion.available(), reason="numba is not installed")
def test_a_loop_numba_cannot_compile_stays_unfused_and_exact(monkeypatch):
    def broken(**options):
        def compile_(fn):
            raise RuntimeError("numba cannot compile this")
        return compile_
    monkeypatch.setattr(ad.staging_fusion._numba, "njit", broken)
    monkeypatch.setattr(ad.staging_fusion, "_kernels", {})
    n = 2 * ad.staging_fusion.MIN_SIZE
    x = np.linspace(-0.5, 0.5, n)
    jitted = ad.jit(ad.grad(rosenbrock))
    for _ in range(ad.staging_fusion.WARMUP + 3):
        got = jitted(x)
    assert identical(got, ad.grad(rosenbrock)(x))
    fused = [s.impl for s in jitted.programs(x)[0].steps if s.label.startswith("fused(")]
    assert fused and all(f.kernel is False for f in fused)
    assert len(jitted.programs(x)) == 1  # replayed each time, never recorded again


@pytest.mark.skipif(not ad.staging_fusion.available(), reason="numba is not installed")
def test_a_fused_loop_leaves_floating_point_errors_to_numpy():
    n = 2 * ad.staging_fusion.MIN_SIZE
    f = lambda x, y: np.sum((x - y) / (x - y) * 2.0 + x)  # noqa: E731  (0/0 where x == y)
    jitted = ad.jit(f)
    x = np.linspace(0.0, 1.0, n)
    for _ in range(ad.staging_fusion.WARMUP + 2):
        jitted(x, x + 1.0)
    assert any(s.label.startswith("fused(") for s in jitted.programs(x, x)[0].steps)
    with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
        jitted(x, x)  # as f(x, x) itself raises


def masks_of_a_0d_value(x):  # np.bool_ masks, zero cotangents of either sign through them
    return -(np.where(x > 0, 0.0 * x, x) + np.clip(x, 2.0, 3.0) - 1.0) ** 2


def its_square(x):
    return (np.where(x > 0, 0.0 * x, x) + 1.0) ** 2


@pytest.mark.parametrize("f, kind", [(masks_of_a_0d_value, "grad"),
                                     (masks_of_a_0d_value, "hessian"), (its_square, "hvp")])
def test_masks_of_0d_values_give_the_unstaged_bits(f, kind):
    """A mask of a 0-d value is a NumPy scalar (np.bool_): the unstaged rules multiplied the
    cotangent by it (-g * False = -0.0, inf * False = NaN) where a staged mask selected (0.0),
    so ad.jit gave 0.0 for -0.0 (found by the differential test of hvp_fn)."""
    fun = derivatives(f)[kind]
    jitted = ad.jit(fun)
    for x in (1.0, 2.5, -1.0, 1.5, 7.0):
        args = (np.array(x), np.array(-0.75)) if kind == "hvp" else (np.array(x),)
        assert identical(jitted(*args), fun(*args)), (x, jitted(*args), fun(*args))
    assert jitted.programs(*args)


def test_the_branch_not_taken_gives_zero_at_0d_values_as_at_arrays():
    """An infinite cotangent through the branch not taken of a 0-d where was NaN (inf * False),
    an array's 0 (where selects): the derivative of x is the same for x of shape () and (1,)."""
    f = lambda x: np.sum(np.where(x > 0, x, 2.0 * x) * np.inf)  # noqa: E731
    with np.errstate(all="ignore"):
        assert ad.grad(f)(np.array(1.0)) == np.inf
        assert ad.grad(f)(np.array([1.0]))[0] == np.inf


def test_a_fused_step_run_unfused_keeps_no_intermediate_array():
    """Its warm-up calls run the steps one by one: each value is dropped once read (a long
    fused chain on large arrays held every intermediate at once, 4x an unstaged call's memory)."""
    import tracemalloc
    from autodiff.staging import _Frozen
    from autodiff.staging_fusion import Fused
    n, length = 100_000, 30  # 0.8 MB an array
    steps = [(np.multiply, {}, [k, _Frozen(1.0001)], k + 1) for k in range(length)]
    fused = Fused(steps, [0], length, (n,), "unused")
    x = np.ones(n)
    tracemalloc.start()
    got = fused.unfused((x,))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * x.nbytes, peak
    want = x
    for _ in range(length):
        want = want * 1.0001
    assert np.array_equal(got, want)


def test_a_traced_exponent_of_zero_takes_the_unstaged_calls_symbolic_zero():
    """d/dx x**y at y == 0 is a symbolic zero in the unstaged sweep (which reads y's value);
    under ad.jit the same test on the staged y is a guard, so the replays drop the term too
    instead of adding a signed zero (found by the thorough differential run: 0.0 for -0.0)."""
    def h(c):
        t0 = anp.power(0.5 + c ** 2, anp.tanh(c))
        t1 = anp.sin(t0)
        return anp.sum(t1 - t1)

    g = ad.grad(h)
    jitted = ad.jit(g)
    for c in (0.5, 0.0, -0.0, 1.0, 0.0, 0.0, 0.0, 0.3):
        c = np.array(c)
        want, got = g(c), jitted(c)
        assert np.array_equal(want, got) and np.signbit(want) == np.signbit(got), (c, want, got)
