"""Lists (and tuples) of traced values where NumPy takes array-likes. NumPy converts a list
with np.asarray before any protocol can see it when no argument is traced itself (np.mean([x,
y]), np.exp([x, y]), np.r_[x, y]): there the only honest answer is the error saying what to
write. When a traced value is among the arguments (np.add(x, [y, z]), x * [y, z], np.dot(x,
[y, z])), autodiff gets the list and reads it as NumPy would, keeping its traced entries. Every
NumPy function autodiff serves is tried both ways: each gives the right derivative (against
finite differences) or that error, never a crash elsewhere or a silently detached value."""
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.numpy.names import SERVED

X = np.array([0.31, -0.72, 0.55])
X.flags.writeable = False  # a NumPy function given (X, list) may write into X (out=)
CLEAR = "np.stack([...])"  # in the error's advice (core.tracer.BUILD_INSTEAD)


def _plain(fn, *args):
    """fn(*args) on plain values, or None if NumPy refuses them or gives no float array."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = fn(*args)
        except Exception:
            return None
    if not isinstance(out, (np.ndarray, np.generic, float)):
        return None
    out = np.asarray(out)
    if out.dtype.kind not in "fc" or not np.all(np.isfinite(out)):
        return None
    return out


def _check(f):
    """The derivative of f (a function of the vector X) against finite differences, or the
    clear error. Returns "derivative" or "error"."""
    def scalar(x):
        y = f(x)
        return np.sum(np.real(y) * np.linspace(0.5, 1.5, np.size(ad.stop_gradient(y))).reshape(
            np.shape(ad.stop_gradient(y))))
    try:
        g = ad.grad(scalar)(X)
    except (TypeError, ValueError, NotImplementedError) as e:
        # the advice, or a refusal by name (e.g. of out=, which np.abs(x, [y, z]) means)
        message = f"{e} {e.__cause__}"
        assert CLEAR in message or "autodiff" in message, message
        return "error"
    eps = 1e-6
    fd = np.array([(scalar(X + eps * e) - scalar(X - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-6)
    return "derivative"


TOP = sorted(n for n in SERVED if "." not in n and callable(getattr(np, n, None)))
LINALG = sorted(n[len("linalg."):] for n in SERVED if n.startswith("linalg."))


def _np(name):
    return getattr(np.linalg, name[len("linalg."):]) if name.startswith("linalg.") \
        else getattr(np, name)


LIST_BUILDS = (lambda x: [x[0], x[1], x[2]],
               lambda x: [[x[0], x[1], 1.0], [x[2], 2.0, x[0]], [0.5, x[1], 3.0]])
PAIR_ORDERS = ((0, 1), (1, 0))


def _lists_taken(name):
    """The list builds np.<name> takes alone (of plain values)."""
    return [b for b in LIST_BUILDS if _plain(_np(name), b(X)) is not None]


def _pairs_taken(name):
    """The orders in which np.<name> takes (array, list) (of plain values)."""
    plain = (X.copy(), list(X[[1, 0, 2]]))
    return [o for o in PAIR_ORDERS if _plain(_np(name), *(plain[i] for i in o)) is not None]


# only the functions that take such arguments at all (the others would be skips)
TAKING_LISTS = [n for n in TOP + ["linalg." + n for n in LINALG] if _lists_taken(n)]
TAKING_PAIRS = [n for n in TOP if _pairs_taken(n)]


def test_the_list_cases_cover_the_served_functions():
    assert len(TAKING_LISTS) > 50 and len(TAKING_PAIRS) > 40


@pytest.mark.parametrize("name", TAKING_LISTS)
def test_a_list_of_traced_values_alone(name):
    """np.f([x0, x1, x2]) (or of a 3 x 3 nested list): the error, as nothing traced is there
    for NumPy to dispatch on, or (np.stack, np.hstack: NumPy dispatches on the list's entries)
    the derivative."""
    fn = _np(name)
    for build in _lists_taken(name):
        _check(lambda x, build=build: fn(build(x)))


@pytest.mark.parametrize("name", TAKING_PAIRS)
def test_a_list_beside_a_traced_value(name):
    """np.f(x, [x1, x0, x2]) and np.f([x1, x0, x2], x): dispatched on x, the list is read with
    its traced values."""
    fn = _np(name)
    for order in _pairs_taken(name):
        def call(x, order=order):
            args = (x, [x[1], x[0], x[2]])
            return fn(*(args[i] for i in order))
        _check(call)


def test_dispatched_lists_are_differentiated():
    for f in (lambda x: np.add(x[:2], [x[1], x[2]]), lambda x: np.maximum(x, [x[2], 0.0, x[0]]),
              lambda x: np.dot(x[:2], [x[1], x[2]]), lambda x: np.matmul([[x[0], x[1]]], x[:2]),
              lambda x: np.where(x > 0, x, [x[1], 1.0, x[0]])):
        assert _check(f) == "derivative"


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "@", "%"])
def test_operators_with_lists(op):
    """x <op> [y, z] and [y, z] <op> x read the list as NumPy does (it failed: the list went to
    np.asarray)."""
    for f in (eval(f"lambda x: (x[:2] + 2.0) {op} [x[2] + 2.0, 1.5]"),  # noqa: S307
              eval(f"lambda x: [x[2] + 2.0, 1.5] {op} (x[:2] + 2.0)")):  # noqa: S307
        assert _check(f) == "derivative"


def test_index_tricks_refuse_with_the_advice():
    """np.r_ and np.c_ are not functions NumPy dispatches: they convert each piece."""
    for f in (lambda x: np.r_[x, x], lambda x: np.c_[x, x], lambda x: np.r_[x[0], 1.0]):
        assert _check(f) == "error"
