"""ad.jit on the random programs: every transform, recorded at one point and replayed at
another (and at the first again), must return bit for bit what the unstaged transform returns
there, or raise where it raises; with fusion on (numba), agree to 1e-12 relative. Guards
(branches on values) re-record, so the programs' kinks and masks are covered too."""
import warnings

import pytest

import numpy as onp
from hypothesis import given, note, settings, strategies as st

import autodiff as ad
from autodiff import staging, staging_fusion

from .check import MODULES, STYLES
from .generate import all_tags, input_values, kink_values, programs
from .test_programs import KNOWN_FAILURES, PHASES, SEEDS, examples

# Complex intermediates and np.fft are left out here: replays of such programs were found to
# differ from the unstaged call in the last bit (e.g. np.abs(np.exp(1j * b))) when the complex
# programs joined the generator; not investigated yet. Their derivatives are checked against
# the oracle by test_programs.py; ad.jit's docs say complex replays agree to round-off only.
JIT_PROGRAMS = programs(banned=frozenset(KNOWN_FAILURES) | {
    t for t in all_tags() if t.startswith(("complex:", "fft:"))})

TRANSFORMS = ("grad", "value_and_grad", "hvp", "hessian", "jacfwd", "jacrev", "jvp", "vjp")


def derivative(name, f, f_scalar, n):
    """The transform as a function of arrays only: the inputs, then a direction if it needs one."""
    every = tuple(range(n))
    tree = lambda xs: f_scalar(*xs)  # noqa: E731
    return {
        "grad": lambda *a: ad.grad(f_scalar, argnums=every)(*a),
        "value_and_grad": lambda *a: ad.value_and_grad(f_scalar, argnums=every)(*a),
        "hvp": lambda *a: ad.hvp(tree, tuple(a[:n]), tuple(a[n:])),
        "hessian": lambda *a: ad.hessian(f_scalar, argnums=every)(*a),
        "jacfwd": lambda *a: ad.jacfwd(f, argnums=every)(*a),
        "jacrev": lambda *a: ad.jacrev(f, argnums=every)(*a),
        "jvp": lambda *a: ad.jvp(f, tuple(a[:n]), tuple(a[n:])),
        "vjp": lambda *a: ad.vjp(f, *a[:n])[1](a[n]),
    }[name]


def identical(got, want):
    """Same structure, types, shapes, dtypes and bits (NaNs agree with NaNs, whatever their
    sign bit; 0.0 and -0.0 differ)."""
    if isinstance(want, (tuple, list)):
        return type(got) is type(want) and len(got) == len(want) and all(
            identical(g, w) for g, w in zip(got, want))
    if type(got) is not type(want):
        return False
    g, w = onp.asarray(got), onp.asarray(want)
    if g.shape != w.shape or g.dtype != w.dtype:
        return False
    if g.dtype.kind in "fc":
        # a NaN's sign bit carries nothing (0/0 and inf - inf give either, by the operations'
        # order): compared on the other entries
        numbers = ~onp.isnan(w)
        return onp.array_equal(g, w, equal_nan=True) and all(onp.array_equal(
            onp.signbit(part(g)[numbers]), onp.signbit(part(w)[numbers]))
            for part in ((onp.real, onp.imag) if g.dtype.kind == "c" else (onp.real,)))
    return onp.array_equal(g, w)


def call(fun, args):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with onp.errstate(all="ignore"):
                return fun(*args)
    except Exception as e:  # noqa: BLE001
        return e


def close(got, want, rtol=1e-12):
    """Same structure, types, shapes and dtypes, values equal to rtol relative to the largest
    magnitude of each array (NaNs and infinities where the other has them)."""
    if isinstance(want, (tuple, list)):
        return type(got) is type(want) and len(got) == len(want) and all(
            close(g, w, rtol) for g, w in zip(got, want))
    if type(got) is not type(want):
        return False
    g, w = onp.asarray(got), onp.asarray(want)
    if g.shape != w.shape or g.dtype != w.dtype:
        return False
    if g.dtype.kind not in "fc":
        return onp.array_equal(g, w)
    finite = onp.isfinite(w)
    if not onp.array_equal(finite, onp.isfinite(g)) or not onp.array_equal(g[~finite], w[~finite],
                                                                            equal_nan=True):
        return False
    scale = onp.max(onp.abs(w[finite]), initial=0.0)
    return bool(onp.all(onp.abs(g[finite] - w[finite]) <= rtol * scale))


@settings(max_examples=examples(150), phases=PHASES, deadline=None)
@given(program=JIT_PROGRAMS, seed=SEEDS, style=st.sampled_from(sorted(STYLES)),
       transform=st.sampled_from(TRANSFORMS), kinks=st.booleans(),
       interpreted=st.sampled_from((0, staging.INTERPRETED_REPLAYS)))
def test_jit_replays_every_transform_bit_for_bit(program, seed, style, transform, kinks,
                                                 interpreted):
    """The replays compiled (interpreted=0), or interpreted from the recording."""
    with ad.shortcuts.disabled("fusion"):  # buffer reuse and the rest stay on: exact
        check_replays(program, seed, style, transform, kinks, identical, interpreted)


@pytest.mark.skipif(not staging_fusion.available(), reason="numba is not installed")
@settings(max_examples=examples(40), phases=PHASES, deadline=None)
@given(program=JIT_PROGRAMS, seed=SEEDS, style=st.sampled_from(sorted(STYLES)),
       transform=st.sampled_from(TRANSFORMS), kinks=st.booleans())
def test_jit_with_fusion_agrees_to_round_off(program, seed, style, transform, kinks):
    """Fusion on for every size (the random programs' arrays are small) and compiled at the
    first replay: results within 1e-12 of the unstaged transform, guards still re-recording."""
    sizes, warmup = staging_fusion.MIN_SIZE, staging_fusion.WARMUP
    staging_fusion.MIN_SIZE, staging_fusion.WARMUP = 1, 0
    try:
        check_replays(program, seed, style, transform, kinks, close, interpreted=0)
    finally:
        staging_fusion.MIN_SIZE, staging_fusion.WARMUP = sizes, warmup


def check_replays(program, seed, style, transform, kinks, agree, interpreted):
    replays = staging.INTERPRETED_REPLAYS
    staging.INTERPRETED_REPLAYS = interpreted
    try:
        replay_points(program, seed, style, transform, kinks, agree)
    finally:
        staging.INTERPRETED_REPLAYS = replays


def replay_points(program, seed, style, transform, kinks, agree):
    note(program.source())
    f, f_scalar = program.compile(MODULES[style])
    n = len(program.args)
    draw = kink_values if kinks else input_values
    points = [[onp.asarray(x) for x in draw(program, s)] for s in (seed, seed ^ 1, seed)]
    fun = derivative(transform, f, f_scalar, n)
    rng = onp.random.default_rng(seed)
    if transform in ("hvp", "jvp"):
        extra = [rng.standard_normal(x.shape) for x in points[0]]
    elif transform == "vjp":
        out = call(f, points[0])
        if isinstance(out, Exception):
            return
        extra = [rng.standard_normal(onp.shape(out))]
    else:
        extra = []
    jitted = ad.jit(fun)
    results = []
    for xs in points:
        args = xs + extra
        want = call(fun, args)
        got = call(jitted, args)
        results.append(got)
        if isinstance(want, Exception):
            assert isinstance(got, Exception), (program.source(), transform, args, got, want)
            continue
        assert not isinstance(got, Exception), (program.source(), transform, args, got, want)
        assert agree(got, want), (program.source(), transform, args, got, want)
    staged = jitted.programs(*(points[0] + extra))
    if staged and not isinstance(results[0], Exception):  # a replay is its recording exactly
        assert agree(results[2], results[0]), (program.source(), transform, results)
