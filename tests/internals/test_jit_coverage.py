"""Which of the library's rules ad.jit stages: every registry primitive (on its samples) and the
composed functions of autodiff.numpy, under jit(grad), jit(hessian) and jit(hvp), and the
distributions of autodiff.scipy.stats. A rule that reads a floating value in Python makes every
function using it run unstaged: the lists below are exact, so a regression (or a fix) shows."""
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp
from autodiff.scipy import stats

from test_primitives import ALL, IDS, _flat

# (name, sample) -> why it cannot be staged; empty: everything stages
UNSTAGED = {}


def _scalar(fn):
    """A scalar with a nonzero Hessian through fn, built from shapes and dtypes only (the test
    file's own uses stop_gradient, which reads the value)."""
    def s(z):
        y = fn(z)
        if np.dtype(y.dtype).kind == "c":
            y = anp.stack([anp.real(y), anp.imag(y)])
        shape = np.shape(y)
        w = np.linspace(0.5, 1.5, max(1, int(np.prod(shape)))).reshape(shape)
        lin = anp.sum(w * y)
        return lin + lin * lin + anp.sum(y * y * y) / 3.0
    return s


def _nearby(z):
    """A fresh point near z (the samples' kinks and ties are placed on purpose: stay near)."""
    return z * (1.0 + 1e-3 * np.cos(np.arange(z.size)).reshape(z.shape))


def identical(a, b):
    return np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)


def staged_everywhere(t, args, fresh):
    """None if ad.jit(t) stages at args and its replay at `fresh` equals t there bit for bit;
    else the reason."""
    jitted = ad.jit(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jitted(*args)
        reason = jitted.unstaged_reason(*args)
        if reason is None:
            assert identical(jitted(*fresh), t(*fresh))
    return reason


@pytest.mark.parametrize("name,i,fn,args", ALL, ids=IDS)
def test_registry_rules_stage(name, i, fn, args):
    g, z = _flat(fn, args)
    s = _scalar(g)
    v = np.linspace(-1.0, 1.0, z.size).reshape(z.shape)
    reasons = {kind: staged_everywhere(t, a, f) for kind, t, a, f in (
        ("grad", ad.grad(s), (z,), (_nearby(z),)),
        ("hessian", ad.hessian(s), (z,), (_nearby(z),)),
        ("hvp", lambda x, v: ad.hvp(s, x, v), (z, v), (_nearby(z), v)))}
    reasons = {k: r for k, r in reasons.items() if r is not None}
    if (name, i) in UNSTAGED:
        assert reasons, f"{name} stages now: take it off UNSTAGED (and docs/jit.md)"
    else:
        assert not reasons, reasons


CONTINUOUS = {"norm": (), "t": (3.0,), "cauchy": (), "laplace": (), "logistic": (),
              "gamma": (2.0,), "beta": (2.0, 3.0), "expon": (), "lognorm": (0.7,)}
DISCRETE = {"poisson": (3.0,), "binom": (10.0, 0.3), "nbinom": (5.0, 0.4), "bernoulli": (0.3,)}


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_distributions_stage(name):
    d, shapes = getattr(stats, name), CONTINUOUS[name]
    x = np.array([0.3, 0.6, 1.5, -0.2])  # one point outside gamma's, beta's ... support
    for fname in ("logpdf", "pdf", "logcdf", "cdf", "logsf", "sf"):
        def in_x(x, fname=fname):
            return anp.sum(getattr(d, fname)(x, *shapes))

        def in_loc_scale(p, fname=fname):
            return anp.sum(getattr(d, fname)(x, *shapes, loc=p[0], scale=p[1]))
        for f, point in ((in_x, x), (in_loc_scale, np.array([0.1, 1.3]))):
            for t in (ad.grad(f), ad.hessian(f)):
                assert staged_everywhere(t, (point,), (point * 1.01,)) is None, (name, fname)


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_distributions_stage_with_k_as_an_argument(name):
    d, shapes = getattr(stats, name), DISCRETE[name]
    k = np.array([0.0, 1.0, 3.0, 2.5])  # 2.5: off the integers
    for fname in ("logpmf", "cdf", "logsf"):
        def f(p, k, fname=fname):
            return anp.sum(getattr(d, fname)(k, *shapes[:-1], p[0]))
        p = np.array([shapes[-1]])
        for t in (ad.grad(f), ad.hessian(f)):
            assert staged_everywhere(t, (p, k), (p * 0.9, k + 1.0)) is None, (name, fname)


def test_multivariate_distributions_stage():
    def mvn(c):
        return stats.multivariate_normal.logpdf(np.array([0.2, 0.1]), np.zeros(2),
                                                c @ c.T + np.eye(2))

    def dirichlet(a):
        return stats.dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), a)
    for f, point in ((mvn, np.array([[1.0, 0.3], [0.2, 1.0]])), (dirichlet, np.ones(3) * 1.5)):
        for t in (ad.grad(f), ad.hessian(f)):
            assert staged_everywhere(t, (point,), (point * 1.01,)) is None


def test_functions_of_a_raveled_pytree_stage():
    """inference.fit and optimize on dicts differentiate f(unravel(vector))."""
    flat, unravel = ad.pytree.ravel_pytree({"beta": np.zeros(3), "sigma": 1.0})

    def nll(v):
        p = unravel(v)
        return 3.0 * np.log(p["sigma"]) + 0.5 * np.sum((1.0 - p["beta"]) ** 2) / p["sigma"] ** 2
    for t in (ad.grad(nll), ad.hessian(nll)):
        assert staged_everywhere(t, (flat + 0.5,), (flat + 0.7,)) is None


NUMPY_FUNCTIONS = {  # whose piecewise-constant parts (masks, counts, indices) are staged
    "nan_to_num": lambda x: np.sum(np.nan_to_num(np.log(x)) ** 2),
    "select": lambda x: np.sum(np.select([x > 0.5, x < -0.5], [x ** 2, np.sin(x)], 1.0)),
    "astype(int)": lambda x: np.sum(x * (x * 3).astype(int)),
    "sum(where=)": lambda x: np.sum(x ** 2, where=x > 0),
    "partition": lambda x: np.sum(np.partition(x, 1)[:2] ** 3),
    "zeros_like": lambda x: np.sum(x * np.ones_like(x) + np.zeros_like(x)),
    "norm(ord=0)": lambda x: np.linalg.norm(x, 0) * np.sum(x ** 2),
    "logsumexp": lambda x: ad.scipy.special.logsumexp(x) + np.sum(
        ad.scipy.special.softmax(x) ** 2),
    "interp": lambda x: np.sum(np.interp(x, [-1.0, 0.0, 0.5, 2.0], [0.0, 1.0, -1.0, 3.0]) ** 2),
    "imag of a real value": lambda x: np.sum(x ** 2 + np.imag(x)),
    "stop_gradient": lambda x: np.sum(x ** 2) * ad.stop_gradient(np.sum(x)),
    "ravel(order=K)": lambda x: np.sum(np.ravel(np.outer(x, x ** 2), order="K") ** 2),
}


@pytest.mark.parametrize("name", sorted(NUMPY_FUNCTIONS))
def test_numpy_functions_stage(name):
    f = NUMPY_FUNCTIONS[name]
    x = np.array([0.3, -1.2, 2.0, 0.0, 0.7])
    for t in (ad.grad(f), ad.hessian(f)):
        assert staged_everywhere(t, (x,), (x * 1.1,)) is None


def test_zeros_like_of_a_staged_value_keeps_its_memory_layout():
    seen = []

    def f(x):
        seen.append(np.zeros_like(x).flags.f_contiguous)
        return np.sum(x * x)
    x = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    ad.jit(ad.grad(f))(x)
    f(x)
    assert seen == [True, True]
