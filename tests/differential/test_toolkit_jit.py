"""The toolkit's staging (ad.shortcuts 'staged_toolkit', the entry points' jit=) on the random
programs: hvp_fn's products, a Hessian operator's matvecs and matmats, a sparse Hessian in a
loop over points and an optimizer's derivatives at successive iterates must give bit for bit
the same numbers (or the same error) with staging on and off. Each is called often enough to be
recorded and replayed, at points that move, so guards (branches on values) re-record too."""
import contextlib
import warnings

import numpy as onp
import pytest
from hypothesis import given, note, settings, strategies as st

import autodiff as ad
from autodiff import staged_calls

from .check import MODULES, STYLES, layout_of
from .generate import input_values, kink_values
from .test_jit import JIT_PROGRAMS, identical
from .test_programs import PHASES, SEEDS, examples

pytest.importorskip("scipy")

ENTRY_POINTS = ("hvp_fn", "hessian_operator", "sparse_hessian", "objective")


@contextlib.contextmanager
def staged_at_the_third_call():
    """Staging as soon as it can (the third call records) and kept however the replays time:
    the programs here are tiny, so the toolkit's own timing would seldom record them."""
    before = staged_calls.RECORD_AFTER, staged_calls.TIMED_REPLAYS
    staged_calls.RECORD_AFTER, staged_calls.TIMED_REPLAYS = 0.0, 0
    try:
        yield
    finally:
        staged_calls.RECORD_AFTER, staged_calls.TIMED_REPLAYS = before


def outcome(fun):
    """fun()'s result, or its exception (warnings and floating-point errors silenced)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with onp.errstate(all="ignore"):
                return fun()
    except Exception as e:  # noqa: BLE001
        return e


def results(entry, f_flat, f_tree, points, directions, jit):
    """Every value the entry point gives along the points, as a list (errors included)."""
    out = []
    if entry == "hvp_fn":
        for z in points:
            product = outcome(lambda: ad.hvp_fn(f_flat, z, jit=jit))
            out += [product] if isinstance(product, Exception) else \
                [outcome(lambda: product(v)) for v in directions]
    elif entry == "hessian_operator":
        V = onp.column_stack(directions[:3])
        for z in points:
            op = outcome(lambda: ad.curvature.hessian_operator(f_flat, z, jit=jit))
            if isinstance(op, Exception):
                out.append(op)
                continue
            for v in directions:
                out += [outcome(lambda: op.matvec(v)), outcome(lambda: op.matmat(V))]
    elif entry == "sparse_hessian":
        H = ad.sparse_hessian(f_flat, jit=jit)
        for z in points + points:
            got = outcome(lambda: H(z))
            out.append(got if isinstance(got, Exception) else got.toarray())
    else:  # minimize's derivatives at moving iterates (a pytree of the program's arguments)
        obj = outcome(lambda: ad.optimize.scipy_objective(f_tree, points[0][1], jit=jit))
        if isinstance(obj, Exception):
            return [obj]
        for z in points + points:
            w = z[0]
            out += [outcome(lambda: obj.fun(w)), outcome(lambda: obj.jac(w)),
                    outcome(lambda: obj.hess(w))]
            out += [outcome(lambda: obj.hessp(w, v)) for v in directions[:3]]
    return out


@settings(max_examples=examples(60), phases=PHASES, deadline=None)
@given(program=JIT_PROGRAMS, seed=SEEDS, style=st.sampled_from(sorted(STYLES)),
       entry=st.sampled_from(ENTRY_POINTS), kinks=st.booleans())
def test_toolkit_entry_points_are_the_same_with_staging_on_and_off(program, seed, style, entry,
                                                                    kinks):
    note(program.source())
    _, f_scalar = program.compile(MODULES[style])
    draw = kink_values if kinks else input_values
    inputs = [draw(program, s) for s in (seed, seed ^ 1, seed ^ 2)]
    layout = layout_of(program, inputs[0])
    flat = [layout.flatten(xs) for xs in inputs]
    if not all(onp.all(onp.isfinite(z)) for z in flat) or flat[0].size == 0:
        return
    unflatten = layout.unflatten
    f_flat = lambda z: f_scalar(*unflatten(z))  # noqa: E731
    f_tree = lambda xs: f_scalar(*xs)  # noqa: E731
    # the objective gets x0 as a pytree (ravelled by minimize), points as flat vectors
    points = [(z, tuple(onp.asarray(x, dtype=float) for x in xs)) for z, xs in zip(flat, inputs)]
    rng = onp.random.default_rng(seed)
    directions = [rng.standard_normal(flat[0].size) for _ in range(4)]
    zs = [z for z, _ in points]
    with staged_at_the_third_call():
        on = results(entry, f_flat, f_tree, points if entry == "objective" else zs, directions,
                     True)
    off = results(entry, f_flat, f_tree, points if entry == "objective" else zs, directions,
                  False)
    assert len(on) == len(off)
    for k, (a, b) in enumerate(zip(on, off)):
        if isinstance(b, Exception):
            assert isinstance(a, Exception) and type(a) is type(b), (entry, k, a, b)
            continue
        assert not isinstance(a, Exception), (entry, k, a, b)
        assert identical(a, b), (entry, k, a, b)
