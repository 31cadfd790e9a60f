"""NumPy's floating-point warnings raised under a transform point at the user's line."""
import warnings

import numpy as np
import pytest

import autodiff as ad


def lines_warned(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [(w.filename, w.lineno, str(w.message)) for w in caught
            if issubclass(w.category, RuntimeWarning)]


def log_first(x):
    return np.log(x[0]) + x[1]  # LOG LINE


def line_of(marker):
    with open(__file__) as fh:
        return next(i for i, line in enumerate(fh, 1) if marker in line and "marker" not in line)


def test_the_value_warns_at_the_users_operation_and_the_derivative_at_the_call():
    warned = lines_warned(lambda: ad.grad(log_first)(np.array([0.0, 1.0])))  # CALL LINE
    assert (__file__, line_of("LOG LINE"), "divide by zero encountered in log") in warned
    assert (__file__, line_of("CALL LINE"),
            "divide by zero encountered in the derivative of log") in warned
    assert all(filename == __file__ for filename, _, _ in warned)


@pytest.mark.parametrize("transform", [
    lambda f, x: ad.hvp(f, x, np.ones_like(x)), lambda f, x: ad.hessian(f)(x),
    lambda f, x: ad.jacfwd(f)(x), lambda f, x: ad.jvp(f, (x,), (x,)),
    lambda f, x: ad.vjp(f, x)[1](1.0), lambda f, x: ad.hvp_fn(f, x)(x)])
def test_every_transform_warns_in_user_code(transform):
    warned = lines_warned(lambda: transform(lambda x: np.sum(np.sqrt(x)), np.zeros(2)))
    assert warned and all(filename == __file__ for filename, _, _ in warned), warned


def test_the_users_errstate_is_respected_and_restored():
    before = np.geterr(), np.geterrcall()
    with np.errstate(divide="ignore"):
        assert lines_warned(lambda: ad.grad(log_first)(np.array([0.0, 1.0]))) == []
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        ad.grad(log_first)(np.array([0.0, 1.0]))
    assert (np.geterr(), np.geterrcall()) == before


def test_changes_of_the_error_state_between_calls_are_seen():
    """The routing is remembered per error state: each change (np.seterr for good, errstate
    blocks, the user's own errcall handler) is seen at the next call."""
    call = lambda: lines_warned(lambda: ad.grad(log_first)(np.array([0.0, 1.0])))
    assert call()  # routed to the user's line
    old = np.seterr(divide="ignore")
    try:
        assert call() == []
        np.seterr(divide="raise")
        with pytest.raises(FloatingPointError):
            call()
        np.seterr(divide="call")
        seen = []
        previous = np.seterrcall(lambda kind, flag: seen.append(kind))
        try:
            assert call() == [] and "divide by zero" in seen  # the user's handler, not ours
        finally:
            np.seterrcall(previous)
    finally:
        np.seterr(**old)
    assert call()  # routed again
    with np.errstate(all="ignore"):
        assert call() == []
    assert call()
