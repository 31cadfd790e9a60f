"""Checks of one program on one input: every transform of autodiff against the oracle, against
each other, and with the speed shortcuts on and off.

The oracle computes the full Jacobian J of f and the full Hessian H of f_scalar with respect
to all arguments flattened into one vector z (autograd; plus central finite differences of the
gradient for programs without kinks). Each autodiff transform's expected result is a slice or a
product of J and H, so one oracle pass serves every transform.
"""
import re
import warnings
from dataclasses import dataclass

import autograd
import numpy as onp
import pytest
import scipy.special

import autodiff as ad
import autodiff.numpy as anp
import autodiff.scipy.special as adsp

from . import oracle
from .generate import GUARD_HELPERS
from .program import repro

STYLES = {"numpy": onp, "autodiff.numpy": anp}
# a program's names in each style (program.py): plain scipy.special ufuncs on traced values in
# the plain NumPy style, autodiff's module in the other; `asc` is autodiff's in both
MODULES = {"numpy": dict(np=onp, ad=ad, sc=scipy.special, asc=adsp),
           "autodiff.numpy": dict(np=anp, ad=ad, sc=adsp, asc=adsp)}
MARGIN = 1e-3        # smallest distance to a kink or singularity (see Line.guards)
MAGNITUDE = 1e4      # largest |value| of any intermediate: beyond it, rounding dominates
RTOL, ATOL = 1e-6, 1e-7          # against the oracle, atol relative to the result's magnitude
TIGHT = 1e-10                    # between autodiff's own paths (shortcuts on/off, jacrev/jacfwd)


# --- admissibility: skip inputs near kinks, overflow ------------------------------------------
def degenerate(program, inputs):
    """Why this input is not a fair test (a kink, a singularity, huge values), or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            env, values = program.intermediates(inputs, oracle.MODULES)
            env.update(GUARD_HELPERS)
            for name, v in values.items():
                if not onp.all(onp.isfinite(v)) or onp.max(onp.abs(v), initial=0) > MAGNITUDE:
                    return f"{name} is huge or not finite"
            for line in program.lines:
                for what, expr in line.guards:
                    if not eval(expr, env) >= MARGIN:
                        return f"{line.name}: {what}"
    except (ValueError, FloatingPointError, onp.linalg.LinAlgError) as e:
        return f"plain NumPy fails: {e}"
    return None


# --- the oracle -------------------------------------------------------------------------------
@dataclass
class Layout:
    """Where each argument sits in the flat vector z."""
    shapes: list
    floats: list

    @property
    def sizes(self):
        return [int(onp.prod(s)) for s in self.shapes]

    def slices(self):
        start = 0
        for n in self.sizes:
            yield slice(start, start + n)
            start += n

    def flatten(self, xs):
        return onp.concatenate([onp.ravel(onp.asarray(x, dtype=float)) for x in xs])

    def unflatten(self, z):
        return [z[s.start] if fl else z[s].reshape(shape)
                for s, shape, fl in zip(self.slices(), self.shapes, self.floats)]

    def split(self, vec, lead=()):
        """A flat vector (or one with leading axes) as one array per argument."""
        return tuple(vec[..., s].reshape(lead + shape)
                     for s, shape in zip(self.slices(), self.shapes))

    def source(self):
        parts = [f"z[{s.start}]" if fl else f"z[{s.start}:{s.stop}].reshape({shape})"
                 for s, shape, fl in zip(self.slices(), self.shapes, self.floats)]
        return f"lambda z: f_scalar({', '.join(parts)})"


@dataclass
class Oracle:
    value: object
    scalar: float
    J: onp.ndarray     # (output size, N)
    G: onp.ndarray     # (N,)
    H: onp.ndarray     # (N, N)


def oracle_derivatives(program, inputs, layout):
    f, f_scalar = program.compile(oracle.MODULES)
    z = layout.flatten(inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Output seems independent of input"
        value = f(*inputs)
        J = autograd.jacobian(lambda z: f(*layout.unflatten(z)))(z)
        G = autograd.grad(lambda z: f_scalar(*layout.unflatten(z)))(z)
        H = autograd.hessian(lambda z: f_scalar(*layout.unflatten(z)))(z)
    orc = Oracle(onp.asarray(value), float(f_scalar(*inputs)), onp.reshape(J, (-1, z.size)),
                 onp.asarray(G), onp.reshape(H, (z.size, z.size)))
    finite = all(onp.all(onp.isfinite(a)) for a in (orc.value, orc.scalar, orc.J, orc.G, orc.H))
    return orc if finite else None


def finite_difference_gradient(program, inputs, layout, h=1e-3):
    """Fourth-order central differences of f_scalar (plain arrays): error ~ h^4."""
    _, f_scalar = program.compile(oracle.MODULES)
    z = layout.flatten(inputs)
    g = onp.zeros(z.size)
    for i in range(z.size):
        def at(d):
            w = z.copy()
            w[i] += d
            return float(f_scalar(*layout.unflatten(w)))
        g[i] = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)
    return g


# --- the transforms ---------------------------------------------------------------------------
@dataclass
class Check:
    key: str       # what is checked, e.g. "hessian[1]"
    call: str      # the call, as source for the reproduction
    run: object    # () -> autodiff's result


def directions(layout, out_shape, seed, k=2):
    """Random cotangent, tangents and HVP directions (a batch of k for batched=True)."""
    rng = onp.random.default_rng(seed + 1)

    def like(shape, fl, lead=()):
        if fl and not lead:
            return float(rng.standard_normal())
        return rng.standard_normal(lead + shape)
    return dict(
        ct=rng.standard_normal(out_shape),
        t=[like(s, fl) for s, fl in zip(layout.shapes, layout.floats)],
        v=[like(s, fl) for s, fl in zip(layout.shapes, layout.floats)],
        T=[like(s, fl, (k,)) for s, fl in zip(layout.shapes, layout.floats)],
        V=[like(s, fl, (k,)) for s, fl in zip(layout.shapes, layout.floats)])


def transform_calls(program, inputs, style, layout, d):
    """Every transform of autodiff on this program (JAX-style signatures)."""
    f, f_scalar = program.compile(MODULES[style])
    xs = list(inputs)
    n = len(xs)
    names = ", ".join(a.name for a in program.args)
    ct, t, v, T, V = d["ct"], d["t"], d["v"], d["T"], d["V"]
    fs_tree = lambda x: f_scalar(*x)  # noqa: E731
    checks = [
        Check("value", f"f({names})", lambda: f(*xs)),
        Check("f_scalar", f"f_scalar({names})", lambda: f_scalar(*xs)),
        Check("value_and_grad", f"ad.value_and_grad(f_scalar, argnums={n - 1})({names})",
              lambda: ad.value_and_grad(f_scalar, argnums=n - 1)(*xs)),
        Check("vjp", f"ad.vjp(f, {names})[1](ct)", lambda: ad.vjp(f, *xs)[1](ct)),
        Check("jvp", f"ad.jvp(f, ({names},), t)", lambda: ad.jvp(f, tuple(xs), tuple(t))),
        Check("jvp_batched", f"ad.jvp(f, ({names},), T, batched=True)[1]",
              lambda: ad.jvp(f, tuple(xs), tuple(T), batched=True)[1]),
        Check("hvp", f"ad.hvp(lambda xs: f_scalar(*xs), ({names},), v)",
              lambda: ad.hvp(fs_tree, tuple(xs), tuple(v))),
        Check("hvp_batched", f"ad.hvp(lambda xs: f_scalar(*xs), ({names},), V, batched=True)",
              lambda: ad.hvp(fs_tree, tuple(xs), tuple(V), batched=True)),
        Check("hvp_looped", f"[ad.hvp(lambda xs: f_scalar(*xs), ({names},), V_k) for V_k in zip(*V)]",
              lambda: [ad.hvp(fs_tree, tuple(xs), tuple(Vi[k] for Vi in V))
                       for k in range(len(V[0]))]),
        Check("hvp_fn", f"ad.hvp_fn(lambda xs: f_scalar(*xs), ({names},))(v)",
              lambda: ad.hvp_fn(fs_tree, tuple(xs))(tuple(v))),
        Check("sparse_hessian", f"ad.sparse_hessian({layout.source()})(z).toarray()",
              lambda: ad.sparse_hessian(lambda z: f_scalar(*layout.unflatten(z)))(
                  layout.flatten(xs)).toarray()),
    ]
    for i in range(n):
        checks += [
            Check(f"grad[{i}]", f"ad.grad(f_scalar, argnums={i})({names})",
                  lambda i=i: ad.grad(f_scalar, argnums=i)(*xs)),
            Check(f"jacrev[{i}]", f"ad.jacrev(f, argnums={i})({names})",
                  lambda i=i: ad.jacrev(f, argnums=i)(*xs)),
            Check(f"jacfwd[{i}]", f"ad.jacfwd(f, argnums={i})({names})",
                  lambda i=i: ad.jacfwd(f, argnums=i)(*xs)),
            Check(f"hessian[{i}]", f"ad.hessian(f_scalar, argnums={i})({names})",
                  lambda i=i: ad.hessian(f_scalar, argnums=i)(*xs)),
        ]
    if n > 1:
        every = tuple(range(n))
        checks += [
            Check("grad[all]", f"ad.grad(f_scalar, argnums={every})({names})",
                  lambda: ad.grad(f_scalar, argnums=every)(*xs)),
            Check("jacrev[all]", f"ad.jacrev(f, argnums={every})({names})",
                  lambda: ad.jacrev(f, argnums=every)(*xs)),
            Check("jacfwd[all]", f"ad.jacfwd(f, argnums={every})({names})",
                  lambda: ad.jacfwd(f, argnums=every)(*xs)),
            Check("hessian[all]", f"ad.hessian(f_scalar, argnums={every})({names})",
                  lambda: ad.hessian(f_scalar, argnums=every)(*xs)),
        ]
    return checks


def expectations(orc, layout, d):
    """What each transform must give, from the value, J, G and H of `orc`."""
    n = len(layout.shapes)
    out_shape = orc.value.shape
    J = [orc.J[:, s].reshape(out_shape + shape) for s, shape in
         zip(layout.slices(), layout.shapes)]
    G = layout.split(orc.G)
    H = [[orc.H[si, sj].reshape(hi + hj) for sj, hj in zip(layout.slices(), layout.shapes)]
         for si, hi in zip(layout.slices(), layout.shapes)]
    flat = layout.flatten
    ct, t, v, T, V = d["ct"], d["t"], d["v"], d["T"], d["V"]
    k = len(V[0])
    hv = layout.split(orc.H @ flat(v))
    hV = [layout.split(orc.H @ flat([Vi[j] for Vi in V])) for j in range(k)]
    want = {
        "value": orc.value, "f_scalar": orc.scalar, "value_and_grad": (orc.scalar, G[-1]),
        "vjp": layout.split(orc.J.T @ onp.ravel(ct)),
        "jvp": (orc.value, (orc.J @ flat(t)).reshape(out_shape)),
        "jvp_batched": onp.stack([(orc.J @ flat([Ti[j] for Ti in T])).reshape(out_shape)
                                  for j in range(len(T[0]))]),
        "hvp": hv, "hvp_fn": hv, "hvp_looped": hV,
        "hvp_batched": tuple(onp.stack([h[i] for h in hV]) for i in range(n)),
        "sparse_hessian": orc.H, "grad[all]": G, "jacrev[all]": tuple(J),
        "jacfwd[all]": tuple(J), "hessian[all]": tuple(tuple(row) for row in H),
    }
    for i in range(n):
        want.update({f"grad[{i}]": G[i], f"jacrev[{i}]": J[i], f"jacfwd[{i}]": J[i],
                     f"hessian[{i}]": H[i][i]})
    return want


# --- comparisons ------------------------------------------------------------------------------
def leaves(tree):
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in leaves(item)]
    return [tree]


def mismatch(got, want, rtol, atol, equal_nan=False):
    """Why `got` differs from `want` (structure, shapes, values), or None. With equal_nan, a
    NaN on either side matches anything: an undefined derivative spreads as 0 * NaN to other
    entries in one path and not in another (reported separately, not tested)."""
    gl, wl = leaves(got), leaves(want)
    if len(gl) != len(wl):
        return f"{len(gl)} leaves, expected {len(wl)}"
    for g, w in zip(gl, wl):
        g, w = onp.asarray(g, dtype=float), onp.asarray(w, dtype=float)
        if g.shape != w.shape:
            return f"shape {g.shape}, expected {w.shape}"
        if equal_nan:
            nan = onp.isnan(w) | onp.isnan(g)
            g, w = onp.where(nan, 0.0, g), onp.where(nan, 0.0, w)
        finite = onp.abs(w[onp.isfinite(w)])
        scale = 1.0 + (onp.max(finite) if finite.size else 0.0)
        if not onp.allclose(g, w, rtol=rtol, atol=atol * scale, equal_nan=equal_nan):
            with onp.errstate(invalid="ignore"):
                err = onp.nanmax(onp.abs(g - w)) if g.size else 0.0
            return f"values differ (max abs error {err:.3g}, scale {scale:.3g})"
    return None


def directions_source(call, d, args):
    """Assignments of the directions (ct, t, T, v, V) and of z that `call` uses."""
    lines = []
    with onp.printoptions(precision=17, threshold=10**6):
        for name in ("ct", "t", "T", "v", "V"):
            if d is not None and re.search(rf"\b{name}\b", call):
                value = d[name]
                text = (repr(value) if name == "ct" else
                        "(" + "".join(f"{x!r}, " for x in value) + ")")
                lines.append(f"{name} = " + text.replace("array(", "onp.array("))
    if re.search(r"\bz\b", call):
        names = ", ".join(a.name for a in args)
        lines.append(f"z = onp.concatenate([onp.ravel(x) for x in ({names},)])")
    return "\n".join(lines)


def fail(program, inputs, style, call, got, want, why, d=None):
    """Fail with a pasteable reproduction (pytest's traceback would only show this module)."""
    __tracebackhide__ = True
    setup = directions_source(call, d, program.args)
    pytest.fail(f"{call}: {why}\n" + repro(program, inputs, style, call, got, want, setup),
                pytrace=False)


def run(check):
    """autodiff's result, or the exception it raised (an exception is a finding too)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return check.run()
    except Exception as e:  # noqa: BLE001
        return e


def layout_of(program, inputs):
    return Layout([onp.shape(x) for x in inputs], [a.is_float for a in program.args])


def compare_all(program, inputs, style, checks, results, want, rtol, atol, d, equal_nan=False):
    for c in checks:
        got = results[c.key]
        if isinstance(got, Exception):
            fail(program, inputs, style, c.call, got, want[c.key], f"raised {got!r:.300}", d)
        why = mismatch(got, want[c.key], rtol, atol, equal_nan)
        if why:
            fail(program, inputs, style, c.call, got, want[c.key], why, d)


def check_against_oracle(program, inputs, style, seed):
    """Every transform against the oracle, and the gradient against finite differences."""
    layout = layout_of(program, inputs)
    orc = oracle_derivatives(program, inputs, layout)
    if orc is None:
        return "the oracle's derivatives are not finite (a singular point)"
    d = directions(layout, orc.value.shape, seed)
    checks = transform_calls(program, inputs, style, layout, d)
    results = {c.key: run(c) for c in checks}
    compare_all(program, inputs, style, checks, results, expectations(orc, layout, d),
                RTOL, ATOL, d)
    if not any(line.guards for line in program.lines):  # smooth: FD is meaningful
        fd, fd_half = (finite_difference_gradient(program, inputs, layout, h)
                       for h in (1e-3, 5e-4))
        if mismatch(fd, fd_half, 1e-7, 1e-8) is None:  # else too curved for this step
            fd = layout.split(fd)
            got = tuple(results[f"grad[{i}]"] for i in range(len(inputs)))
            # round-off of the differences: about eps |f| / h, large where f is (sinh of sums)
            _, f_scalar = program.compile(oracle.MODULES)
            roundoff = 10 * onp.finfo(float).eps * abs(float(f_scalar(*inputs))) / 5e-4
            why = mismatch(got, fd, 1e-5, max(1e-6, roundoff))
            if why:
                names = ", ".join(a.name for a in program.args)
                call = f"ad.grad(f_scalar, argnums={tuple(range(len(inputs)))})({names})"
                fail(program, inputs, style, call, got, fd,
                     f"{why} from fourth-order central finite differences (expected)")
    return None


def _calls(program, inputs, style, seed):
    """(autodiff's value of the program, layout, directions, every transform call on it); a
    value that raises is a failure at once."""
    layout = layout_of(program, inputs)
    f, _ = program.compile(MODULES[style])
    names = ", ".join(a.name for a in program.args)
    value = run(Check("value", f"f({names})", lambda: f(*inputs)))
    if isinstance(value, Exception):
        fail(program, inputs, style, f"f({names})", value, None, f"raised {value!r:.300}")
    value = onp.asarray(value)
    d = directions(layout, value.shape, seed)
    return value, layout, d, transform_calls(program, inputs, style, layout, d)


def self_consistency(program, inputs, style, seed):
    """At kinks and degenerate points (where the oracle's conventions differ from autodiff's
    documented ones), every transform must still give the same derivative as every other
    (docs/writing-functions.md): each is compared with what autodiff's own value, jacfwd,
    grad and hessian imply. NaN must match NaN."""
    value, layout, d, checks = _calls(program, inputs, style, seed)
    results = {c.key: run(c) for c in checks}
    n = len(inputs)
    basis = ["value", "f_scalar"] + [f"{k}[{i}]" for k in ("jacfwd", "grad") for i in range(n)]
    basis.append("hessian[all]" if n > 1 else "hessian[0]")
    for key in basis:
        if isinstance(results[key], Exception):
            c = next(c for c in checks if c.key == key)
            fail(program, inputs, style, c.call, results[key], None,
                 f"raised {results[key]!r:.300}")
    hess = results["hessian[all]"] if n > 1 else ((results["hessian[0]"],),)
    sizes = layout.sizes
    own = Oracle(
        value=value, scalar=float(results["f_scalar"]),
        J=onp.concatenate([onp.reshape(results[f"jacfwd[{i}]"], (value.size, sizes[i]))
                           for i in range(n)], axis=1),
        G=onp.concatenate([onp.ravel(results[f"grad[{i}]"]) for i in range(n)]),
        H=onp.block([[onp.reshape(hess[i][j], (sizes[i], sizes[j])) for j in range(n)]
                     for i in range(n)]))
    # a NaN or inf in J or H spreads to every entry of a product with it: compare products only
    # where the factor is finite, the rest entry by entry
    skip = set()
    if not onp.all(onp.isfinite(own.J)):
        skip |= {"vjp", "jvp", "jvp_batched"}
    if not onp.all(onp.isfinite(own.H)):
        skip |= {"hvp", "hvp_fn", "hvp_looped", "hvp_batched"}
    want = expectations(own, layout, d)
    want["hvp_batched"] = tuple(onp.stack([onp.asarray(h[i]) for h in results["hvp_looped"]])
                                for i in range(n)) if not isinstance(
                                    results["hvp_looped"], Exception) else want["hvp_batched"]
    want["hvp_fn"] = results["hvp"] if not isinstance(results["hvp"], Exception) else want["hvp"]
    skip -= {"hvp_batched", "hvp_fn"}
    compare_all(program, inputs, style, [c for c in checks if c.key not in skip], results,
                want, 1e-9, 1e-9, d, equal_nan=True)


TRANSFORMS = ("value", "f_scalar", "value_and_grad", "vjp", "jvp", "jvp_batched", "hvp",
              "hvp_batched", "hvp_looped", "hvp_fn", "sparse_hessian", "grad", "jacrev",
              "jacfwd", "hessian")


def check_shortcuts(program, inputs, style, seed, name, transforms=TRANSFORMS):
    """The same derivatives (to TIGHT) with every shortcut on, with all off (plain mode), and
    with the shortcut `name` alone off, for the given transforms (see TRANSFORMS)."""
    _, layout, d, checks = _calls(program, inputs, style, seed)
    checks = [c for c in checks if c.key.split("[")[0] in transforms]
    on = [run(c) for c in checks]
    for mode, switch in (("every shortcut", ()), (name, (name,))):
        with ad.shortcuts.disabled(*switch):
            off = [run(c) for c in checks]
        for c, a, b in zip(checks, on, off):
            if isinstance(a, Exception) or isinstance(b, Exception):
                if type(a) is not type(b):
                    fail(program, inputs, style, c.call, a, b,
                         f"shortcuts on: {a!r:.200}; with {mode} off: {b!r:.200}", d)
                continue
            why = mismatch(a, b, TIGHT, TIGHT, equal_nan=True)
            if why:
                fail(program, inputs, style, c.call, a, b,
                     f"{why} between shortcuts on (got) and {mode} off (expected)", d)
