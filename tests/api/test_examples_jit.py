"""`ad.jit` on every example's objective: jit(grad), jit(hessian) (small n) and jit(hvp) give
the unstaged transforms' results bit for bit at the recording point and at fresh random points
(replays), with the data passed as arguments, and each is recorded once (no guard changes
between the points). An objective that runs unstaged would say why in its case (none does:
ode_fit's nll did, until odeint read a traced y0's shape without its value)."""
import builtins
import importlib.util
import os
import sys
import types
from collections import namedtuple

import numpy as np
import pytest

import autodiff as ad
from autodiff.pytree import flatten

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))  # tests/api/ -> repo
EXAMPLES_DIR = os.path.join(ROOT, "examples")
EXAMPLES = sorted(f for f in os.listdir(EXAMPLES_DIR)
                  if f.endswith(".py") and not f.startswith("_"))
# modules that import a package at the top (for its data): the sklearn ones import it lazily
NEEDS = {"nb2_regression": "statsmodels", "student_t_regression": "statsmodels",
         "laplace_evidence": "statsmodels"}


def example(stem):
    """The example module examples/<stem>.py, imported by path (examples/ is no package; the
    examples import their helpers _common and _digits as top-level modules)."""
    name = f"_jit_example_{stem}"
    if name in sys.modules:
        return sys.modules[name]
    if stem in NEEDS:
        pytest.importorskip(NEEDS[stem])  # the module imports it (its data) at the top
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES_DIR, stem + ".py"))
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, EXAMPLES_DIR)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(EXAMPLES_DIR)
    sys.modules[name] = module
    return module


def objective(case):
    f = getattr(example(case.module), case.name)
    if case.loop is None:
        return f
    # the example's own code with its Python loops cut to `loop` iterations: the loop's length
    # is fixed (no value decides it), so a shorter one stages alike, in less time
    short = lambda *n: builtins.range(*n)[:case.loop]
    return types.FunctionType(f.__code__, dict(f.__globals__, range=short), f.__name__,
                              f.__defaults__, f.__closure__)


# A case: examples/<module>.py's function <name>, differentiated in its first argument, at
# arguments args(rng) = (x, *data) of the example's shapes (small); `hessian` whether the full
# Hessian is tested too (small n, fast enough); `loop` cuts the example's Python loops to that
# many iterations; `unstaged` None (it stages) or a phrase of the reason it runs unstaged.
Case = namedtuple("Case", "module name args hessian loop unstaged", defaults=(True, None, None))


def normal(*shape):
    return lambda rng: (rng.standard_normal(shape),)


def _logistic(n, k, lam=False):
    def args(rng):
        X = rng.standard_normal((n, k))
        data = (X, (rng.random(n) < 0.5).astype(float))
        return (rng.standard_normal(k) * 0.5,) + data + ((np.asarray(0.1),) if lam else ())
    return args


def _mlp(rng):
    return (rng.standard_normal((3, 4)) * 0.5, rng.standard_normal(4) * 0.5,
            rng.standard_normal((8, 3)), rng.standard_normal(8))


def _digits(rng):
    params = {"W1": rng.standard_normal((64, 2)) / 8.0, "b1": rng.standard_normal(2) * 0.1,
              "W2": rng.standard_normal((2, 10)), "b2": rng.standard_normal(10) * 0.1}
    X = rng.random((12, 64))
    return params, X, np.eye(10)[rng.integers(0, 10, 12)], np.asarray(1e-4)  # l2 too


def _nb2(rng):
    X = np.column_stack([np.ones(20), rng.standard_normal((20, 2)) * 0.5])
    params = (rng.standard_normal(3) * 0.3, np.asarray(rng.uniform(0.5, 2.0)))
    return params, X, rng.poisson(2.0, 20).astype(float)


def _student_t(rng):
    X = np.column_stack([np.ones(21), rng.standard_normal((21, 3))])
    params = (rng.standard_normal(4), np.asarray(rng.uniform(2.0, 8.0)),
              np.asarray(rng.uniform(0.5, 2.0)))
    return params, X, X @ np.array([1.0, 0.5, -0.5, 0.2]) + rng.standard_t(4.0, 21)


def _ode(rng):
    log_true = np.log([0.55, 0.028, 0.84, 0.026, 33.0, 6.0, 0.1])
    return log_true + 0.05 * rng.standard_normal(7), rng.uniform(5.0, 40.0, (16, 2))


def _energy(rng):
    return rng.standard_normal(6), 2.0 + rng.standard_normal(6), np.asarray(1.0 / 6)


def _neuron(rng):
    return tuple(np.asarray(v) for v in rng.standard_normal(5))


CASES = [
    Case("critical_points", "rosenbrock", normal(4)),
    Case("critical_points", "saddle", normal(2)),
    Case("critical_points", "monkey_saddle", normal(2)),
    Case("critical_points", "bowl", normal(2)),
    Case("critical_points", "double_well", normal(2)),
    Case("demo", "rosenbrock", normal(3)),
    Case("demo", "logistic_loss", _logistic(20, 4, lam=True)),
    Case("gallery", "neuron", _neuron),
    Case("gallery", "mlp_loss", _mlp),
    Case("gallery", "deep_network", lambda rng: (rng.standard_normal((3, 4, 4)) * 0.5,
                                                 rng.standard_normal((3, 4)))),
    Case("gallery", "long_chain", normal(3), loop=300),  # 50,000 steps: see `objective`
    Case("_digits", "loss", _digits),
    Case("laplace_evidence", "neg_log_joint", _logistic(32, 4)),
    Case("logistic_regression", "loss", _logistic(30, 5)),
    Case("nb2_regression", "nb2_negloglik", _nb2),
    # each derivative solves the ODE's sensitivity systems (~1 s): hvp stands for the Hessian
    Case("ode_fit", "nll", _ode, hessian=False),
    Case("sparse_newton", "energy", _energy),
    Case("student_t_regression", "t_negloglik", _student_t),
]
IDS = [f"{c.module}.{c.name}" for c in CASES]
# examples without an objective of their own, and why
NOT_IN_CASES = {
    "hessian_free": "its objective is _digits.loss (a case), on the raveled parameters and "
                    "through ggnvp: test_hessian_free_derivatives_replay",
    "mlp_spectrum": "its objective is _digits.loss (a case), on the parameter dict and the "
                    "raveled parameters (the Hessian): test_hessian_free_derivatives_replay",
}


def test_every_example_is_covered():
    covered = {c.module for c in CASES}
    stems = [script[:-3] for script in EXAMPLES]
    for stem in stems:
        assert stem in covered or stem in NOT_IN_CASES, \
            f"examples/{stem}.py has no case in test_examples_jit.py, nor a reason"
    assert not covered & set(NOT_IN_CASES)
    assert set(NOT_IN_CASES) <= set(stems)  # no stale entry


def identical(got, want):
    """Equal bit for bit: the same pytree, leaf types, shapes, dtypes, values and signs."""
    got_leaves, got_tree = flatten(got)
    want_leaves, want_tree = flatten(want)
    assert got_tree == want_tree
    for g, w in zip(got_leaves, want_leaves):
        assert type(g) is type(w)
        assert np.shape(g) == np.shape(w) and np.result_type(g) == np.result_type(w)
        assert np.array_equal(g, w, equal_nan=True)
        numbers = ~np.isnan(w)  # a NaN's sign bit is not compared (as the differential tests)
        assert np.array_equal(np.signbit(g)[numbers], np.signbit(w)[numbers])
    return True


def transforms(f, hessian):
    """The unstaged transforms, taking (x, *data) or (x, v, *data)."""
    out = {"grad": ad.grad(f),
           "hvp": lambda x, v, *data: ad.hvp(lambda x: f(x, *data), x, v)}
    if hessian:
        out["hessian"] = ad.hessian(f)
    return out


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jit_replays_are_the_unstaged_transforms(case):
    f = objective(case)
    rng = np.random.default_rng(0)
    points = [case.args(rng) for _ in range(3)]  # the recording point, then two replays
    for kind, fun in transforms(f, case.hessian).items():
        jitted = ad.jit(fun)
        for args in points:
            if kind == "hvp":
                x = args[0]
                v = ad.tree_map(lambda a: np.asarray(rng.standard_normal(np.shape(a))), x)
                args = (x, v) + args[1:]
            identical(jitted(*args), fun(*args))
        reason = jitted.unstaged_reason(*args)
        if case.unstaged is None:
            assert reason is None, f"{kind}: {reason}"
            # one recording, replayed at the fresh points (no guard of a branch changed)
            assert len(jitted.programs(*args)) == 1
        else:
            assert reason is not None and case.unstaged in reason, f"{kind}: {reason}"


def test_odeint_with_a_traced_initial_state_is_staged():
    """odeint looked at a traced y0's and args' values for their shapes (ode_fit's nll ran
    unstaged); shapes are read from the tracers now."""
    from autodiff.scipy.integrate import odeint

    def f(p):
        ys = odeint(lambda y, t, k: -k * y, ad.numpy.stack([p[0], p[1]]), np.linspace(0, 1, 3),
                    args=(p[2],))
        return ad.numpy.sum(ys ** 2)
    g = ad.grad(f)
    jitted = ad.jit(g)
    for x in (np.array([1.0, 2.0, 0.5]), np.array([0.5, 1.5, 0.7])):
        identical(jitted(x), g(x))
    assert jitted.unstaged_reason(x) is None and len(jitted.programs(x)) == 1


def test_hessian_free_derivatives_replay():
    """hessian_free.py's and mlp_spectrum.py's derivatives of _digits' MLP loss on the raveled
    parameters: value_and_grad, the Gauss-Newton product ggnvp, the dense Hessian."""
    D = example("_digits")
    rng = np.random.default_rng(1)
    points = [_digits(rng) for _ in range(3)]
    _, unravel = ad.ravel_pytree(points[0][0])
    f = lambda th, X, Y, l2: D.loss(unravel(th), X, Y, l2)
    gnv = lambda th, v, X, Y: ad.ggnvp(lambda t: D.logits(unravel(t), X),
                                       lambda z: D.cross_entropy(z, Y), th, v)
    for fun in (ad.value_and_grad(f), gnv, ad.hessian(f)):
        jitted = ad.jit(fun)
        for params, X, Y, l2 in points:
            theta = ad.ravel_pytree(params)[0]
            args = (theta, rng.standard_normal(theta.size), X, Y) if fun is gnv else \
                (theta, X, Y, l2)
            identical(jitted(*args), fun(*args))
        assert jitted.unstaged_reason(*args) is None and len(jitted.programs(*args)) == 1
