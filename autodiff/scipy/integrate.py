"""`autodiff.scipy.integrate`: `odeint` and `solve_ivp`, with scipy's names and defaults, whose
solutions at given times are differentiable, to any order, in the initial state, the parameters
(`args`) and the times:

    from autodiff.scipy.integrate import odeint
    ys = odeint(lambda y, t, k: -k * y, y0, t, args=(k,))   # d/dy0, d/dk, d/dt

Design. The solution is one primitive, `odeint` below: (x, t) -> Y with x = [y0; theta] (the
initial state and every traced parameter, flattened into one vector, so that one backward pass
serves them all) and Y[i] = y(t[i]). Its rules are themselves solutions of ODEs, computed by
the same primitive, so they are differentiated again like any rule:

- JVP (forward sensitivities): z = dy solves the tangent system z' = f_y z + f_theta dtheta,
  z(t0) = dy0 - f(y0, t0) dt0, solved together with y (the augmented state [y; z], whose
  right-hand side is autodiff's own `jvp` of the user's f); then dY[i] = z(t[i]) + f(Y[i], t[i])
  dt[i].
- VJP (adjoint method): lambda' = -f_y^T lambda and mu' = -f_theta^T lambda, solved backward
  from t[N-1] to t[0] with y (the augmented state [y; lambda; mu], whose right-hand side is
  autodiff's own `vjp` of f), one segment [t[i], t[i-1]] at a time, starting each from Y[i] and
  adding the cotangent G[i-1] to lambda between segments; then the cotangent of y0 is
  lambda(t0), of theta mu(t0), of t[i] G[i]·f(Y[i], t[i]) (i >= 1) and of t[0] -(lambda(t0) -
  G[0])·f(y0, t0).

Second order follows without a rule of its own: a Hessian (forward-over-reverse) runs the VJP
rule on dual numbers, so the adjoint segments are solved by this primitive on dual numbers, whose
JVP is the forward sensitivity system of the adjoint system (with `jvp` of `vjp` of f).

Exactness. These are the exact derivatives of the ODE's solution, computed by solving further
ODEs: they are as accurate as the solver's rtol/atol make them (the augmented systems are
solved with the same method and tolerances, error control covering the sensitivities too), and
no more. With scipy's defaults (odeint 1.5e-8; solve_ivp rtol=1e-3, atol=1e-6) derivatives
carry errors of that order; pass tighter tolerances where derivatives matter (a Hessian for
standard errors: rtol=atol=1e-10 is cheap for small systems). Forward and reverse mode solve
different systems, so they agree to the tolerance, not to rounding.

The right-hand side is written with NumPy on traced values, and may return a list (`[a * x -
b * x * y, ...]`). Parameters must come in through `args`: a right-hand side closing over a
traced value is refused by name (its derivative would be lost inside scipy's solver).
"""
from typing import Any, Callable, Optional, Sequence

import numpy as np

from .._optional import require
from ..core.tracer import Tracer, primal
from ..pytree import flatten, unflatten
from .. import numpy as F
from ..primitives.declaration import declare
from ..primitives.samples import call, uniform, values
from ..typing import Array, ArrayLike

__all__ = ["odeint", "solve_ivp", "OdeResult"]


def _scipy_integrate():
    return require("scipy.integrate", "optimize", "autodiff.scipy.integrate")


class _Solver:
    """How to solve: scipy's odeint (LSODA) or solve_ivp's method, with tolerances and options
    (the same for the primal and for every augmented system of its derivatives)."""

    __slots__ = ("method", "rtol", "atol", "options")

    def __init__(self, method, rtol, atol, options):
        self.method, self.rtol, self.atol, self.options = method, rtol, atol, dict(options)

    def __repr__(self):
        return f"{self.method}(rtol={self.rtol}, atol={self.atol})"

    def solve(self, fun, y0, t):
        """fun(y, t) -> dy/dt (plain arrays); the solution at the (monotone) times t."""
        y0 = np.asarray(y0, dtype=float)
        keep = np.concatenate([[True], np.diff(t) != 0])  # repeated times: the same state
        ts = t[keep]
        if ts.size == 1:
            sol = y0[None]
        elif self.method == "odeint":
            kw = {k: v for k, v in (("rtol", self.rtol), ("atol", self.atol)) if v is not None}
            sol, info = _scipy_integrate().odeint(fun, y0, ts, full_output=True,
                                                  **kw, **self.options)
            if info["message"] != "Integration successful.":
                raise RuntimeError(f"odeint failed: {info['message']}")
        else:
            res = _scipy_integrate().solve_ivp(
                lambda s, y: fun(y, s), (ts[0], ts[-1]), y0, method=self.method, t_eval=ts,
                rtol=self.rtol, atol=self.atol, **self.options)
            if not res.success:
                raise RuntimeError(f"solve_ivp ({self.method}) failed: {res.message}")
            sol = res.y.T
        return sol[np.cumsum(keep) - 1]


def _vector(r, n, what):
    """The right-hand side's value as a vector of n entries (a list of entries is stacked)."""
    if isinstance(r, (list, tuple)):
        r = F.stack([F.reshape(e, ()) if np.ndim(e) else e for e in r])
    if np.shape(r) not in ((n,), ()) or (np.ndim(r) == 0 and n != 1):
        raise ValueError(f"{what}: the right-hand side returned shape {np.shape(r)}, "
                         f"for a state of shape ({n},)")
    return F.reshape(r, (n,)) if np.ndim(r) == 0 else r


def _plain(rhs):
    """rhs on plain arrays, for scipy: a traced result means rhs closes over a traced value."""
    def fun(y, s):
        r = rhs(y, s)
        if isinstance(r, Tracer):
            raise ValueError("the ODE's right-hand side closes over a traced value, whose "
                             "derivative would be lost inside the solver: pass it through "
                             "args=(...) instead")
        return np.asarray(r, dtype=float)
    return fun


# --- the primitive ---------------------------------------------------------------------------
# rhs(y, s, theta) -> dy/ds (a vector of `size`), written with autodiff's differentiable functions.

def _impl(x, t, rhs, size, solver):
    theta = x[size:]
    return solver.solve(_plain(lambda y, s: rhs(y, s, theta)), x[:size], np.asarray(t))


def _jvp_rule(tangents, out, x, t, rhs, size, solver):
    """Forward sensitivities: one solve of [y; z] (z the tangent of y)."""
    return _sensitivities(tangents, out, x, t, rhs, size, solver, 0)


def _sensitivities(tangents, out, x, t, rhs, size, solver, nb):
    """The forward sensitivities of k = prod(batch) tangents (nb leading batch axes; nb = 0:
    one tangent) in one solve of [y; z_1; ...; z_k]."""
    dx, dt = tangents
    n, y0, theta = size, x[:size], x[size:]
    m = theta.shape[0]
    batch = (dx if dx is not None else dt).shape[:nb]
    k = int(np.prod(batch))
    if nb:
        dx = None if dx is None else F.reshape(dx, (k,) + x.shape)
        dt = None if dt is None else F.reshape(dt, (k,) + t.shape)
    z0 = dx[..., :n] if dx is not None else F.zeros((k, n) if nb else (n,))
    if dt is not None:
        z0 = z0 - rhs(y0, t[0], theta) * dt[..., :1]
    dtheta = dx[..., n:] if dx is not None and m else None
    pieces = [y0, F.reshape(z0, (-1,)), theta]
    if dtheta is not None:
        pieces.append(F.reshape(dtheta, (-1,)))
    aug = odeint_p(F.concatenate(pieces), t, rhs=_Forward(rhs, n, m, k if nb else None,
                                                          dtheta is not None),
                   size=n + n * k, solver=solver)
    dy = aug[:, n:]
    if nb:  # (N, k n) -> (k, N, n)
        dy = F.transpose(F.reshape(dy, (t.shape[0], k, n)), (1, 0, 2))
    if dt is not None:
        dy = dy + _rhs_at(rhs, out, t, theta) * dt[..., None]
    return F.reshape(dy, batch + out.shape) if nb else dy


class _Forward:
    """The right-hand side of [y; z] (or [y; z_1 ... z_k], a batch): (f, f_y z + f_theta
    dtheta), by autodiff's jvp of f."""

    def __init__(self, rhs, n, m, k, with_dtheta):
        self.rhs, self.n, self.m, self.k, self.with_dtheta = rhs, n, m, k, with_dtheta

    def __call__(self, yz, s, q):
        from ..transforms import jvp
        n, m, k = self.n, self.m, self.k
        y, z, theta = yz[:n], yz[n:], q[:m]
        batched = k is not None
        if batched:
            z = F.reshape(z, (k, n))
        if self.with_dtheta:
            dtheta = F.reshape(q[m:], (k, m)) if batched else q[m:]
            fy, dz = jvp(lambda y, th: self.rhs(y, s, th), (y, theta), (z, dtheta),
                         batched=batched)
        else:
            fy, dz = jvp(lambda y: self.rhs(y, s, theta), (y,), (z,), batched=batched)
        return F.concatenate([fy, F.reshape(dz, (-1,))])


class _Adjoint:
    """The right-hand side of [y; lambda; mu] (mu only with_params): (f, -f_y^T lambda,
    -f_theta^T lambda), by autodiff's vjp of f."""

    def __init__(self, rhs, n, with_params):
        self.rhs, self.n, self.with_params = rhs, n, with_params

    def __call__(self, state, s, theta):
        from ..transforms import vjp
        n = self.n
        y, lam = state[:n], state[n:2 * n]
        if self.with_params:
            fy, back = vjp(lambda y, th: self.rhs(y, s, th), y, theta)
            gy, gth = back(lam)
            return F.concatenate([fy, -gy, -gth])
        fy, back = vjp(lambda y: self.rhs(y, s, theta), y)
        return F.concatenate([fy, -back(lam)[0]])


def _rhs_at(rhs, ys, t, theta):
    """f(ys[i], t[i]) for every i, as rows."""
    return F.stack([rhs(ys[i], t[i], theta) for i in range(t.shape[0])])


def _backward(g, out, x, t, rhs, size, solver, with_params):
    """The adjoint solved backward over every segment: (lambda(t0) without G[0], mu(t0))."""
    n, theta = size, x[size:]
    m = theta.shape[0] if with_params else 0
    adjoint = _Adjoint(rhs, n, with_params)
    lam = g[-1]
    mu = F.zeros_like(theta) if with_params else None
    for i in range(t.shape[0] - 1, 0, -1):
        state = F.concatenate([out[i], lam] + ([mu] if with_params else []) + [theta])
        seg = odeint_p(state, F.stack([t[i], t[i - 1]]), rhs=adjoint, size=2 * n + m,
                       solver=solver)
        lam = seg[1, n:2 * n]
        if with_params:
            mu = seg[1, 2 * n:]
        if i > 1:
            lam = lam + g[i - 1]
    return lam, mu


def _vjp_x(g, out, x, t, rhs, size, solver):
    if t.shape[0] == 1:
        return F.concatenate([g[0], F.zeros_like(x[size:])])
    lam, mu = _backward(g, out, x, t, rhs, size, solver, True)
    return F.concatenate([lam + g[0], mu])


def _vjp_t(g, out, x, t, rhs, size, solver):
    if t.shape[0] == 1:
        return F.zeros_like(t)
    theta = x[size:]
    lam, _ = _backward(g, out, x, t, rhs, size, solver, False)
    later = F.sum(g[1:] * _rhs_at(rhs, out[1:], t[1:], theta), axis=1)
    first = -F.sum(lam * rhs(x[:size], t[0], theta))
    return F.concatenate([F.reshape(first, (1,)), later])


def _sample_rhs(y, s, theta):
    """A sample whose solution is polynomial in t, so RK45 is exact to rounding: the registry's
    checks compare modes to 1e-10, which a solver's tolerance would not give."""
    return F.stack([theta[1] * y[1] ** 2 + s, theta[0] + 0.0 * y[0]])


odeint_p = declare(
    "odeint", _impl, ("x", "t"), params=("rhs", "size", "solver"), sparsity="dense",
    scipy=("integrate.odeint", "integrate.solve_ivp"),
    jvp=_jvp_rule, vjp=[_vjp_x, _vjp_t],
    batched_jvp=lambda tangents, out, x, t, rhs, size, solver, nb: _sensitivities(
        tangents, out, x, t, rhs, size, solver, nb),
    samples=[call(uniform(4), values([0.0, 0.4, 1.0]), rhs=_sample_rhs, size=2,
                  solver=_Solver("RK45", 1e-10, 1e-12, {}))],
    doc="The solution of y' = rhs(y, t, theta), y(t[0]) = x[:size], theta = x[size:], at the "
        "times t (autodiff.scipy.integrate.odeint and solve_ivp)")


# --- the functions ---------------------------------------------------------------------------
def _flatten_args(args):
    """(the traced values in args -- a pytree: arrays, lists, dicts -- flattened into one vector
    theta, a function theta -> the args): everything untraced stays a constant of the
    right-hand side, as it is."""
    leaves, tree = flatten(tuple(args))
    traced = [i for i, a in enumerate(leaves) if isinstance(a, Tracer)]
    shapes = [np.shape(leaves[i]) for i in traced]  # shapes only: ad.jit reads no value
    sizes = [int(np.prod(s)) for s in shapes]
    theta = F.concatenate([F.reshape(leaves[i], (-1,)) for i in traced]) if traced \
        else np.zeros(0)

    def unpack(th):
        out, k = list(leaves), 0
        for i, s, n in zip(traced, shapes, sizes):
            out[i] = F.reshape(th[k:k + n], s)
            k += n
        return unflatten(tree, out)
    return theta, unpack


def _times(t, fname):
    tp = np.asarray(primal(t), dtype=float)
    if tp.ndim != 1 or tp.size == 0:
        raise ValueError(f"{fname}: the times must be a non-empty 1-D array, got shape "
                         f"{tp.shape}")
    d = np.diff(tp)
    if not (np.all(d >= 0) or np.all(d <= 0)):
        raise ValueError(f"{fname}: the times must be monotonic (increasing or decreasing)")
    if not np.all(np.isfinite(tp)):
        raise ValueError(f"{fname}: the times must be finite")
    return t if isinstance(t, Tracer) else tp


def _solve(user_rhs, y0, t, args, solver, fname):
    """The solution at the times t (rows), y0 a vector: through the primitive."""
    if isinstance(y0, (list, tuple)):  # entries, possibly traced
        y0 = F.array(y0)
    shape = np.shape(y0)  # a tracer's shape, not its value (ad.jit stages what reads no value)
    if len(shape) > 1:
        raise ValueError(f"{fname}: y0 must be a scalar or a 1-D array, got shape {shape}")
    n = int(np.prod(shape))
    if n == 0:
        raise ValueError(f"{fname}: y0 is empty")
    y0 = F.reshape(y0, (n,)) if isinstance(y0, Tracer) else np.asarray(y0).astype(float).reshape(n)
    theta, unpack = _flatten_args(args)

    def rhs(y, s, th):
        return _vector(user_rhs(y, s, *unpack(th)), n, fname)
    return odeint_p(F.concatenate([y0, theta]), t, rhs=rhs, size=n, solver=solver)


_ODEINT_OPTIONS = ("h0", "hmax", "hmin", "mxstep", "mxhnil", "mxordn", "mxords", "tcrit", "ml",
                   "mu")


def odeint(func: Callable[..., Any], y0: ArrayLike, t: ArrayLike, args: Any = (),
           Dfun: None = None, col_deriv: int = 0, full_output: int = 0,
           rtol: Optional[ArrayLike] = None, atol: Optional[ArrayLike] = None,
           tfirst: bool = False, **options: Any) -> Array:
    """scipy.integrate.odeint, differentiable in y0, args and t: the solution of
    dy/dt = func(y, t, *args) (func(t, y, *args) with tfirst=True) at the times t, of shape
    (len(t), len(y0)). Derivatives are exact for the ODE up to the solver's tolerances (rtol,
    atol; scipy's default 1.5e-8): see the module's docstring."""
    if Dfun is not None:
        raise ValueError("odeint: Dfun is not supported (LSODA estimates the Jacobian itself; "
                         "autodiff differentiates the solution without it)")
    if full_output:
        raise ValueError("odeint: full_output is not supported on differentiable solutions")
    bad = [k for k in options if k not in _ODEINT_OPTIONS]
    if bad:
        raise TypeError(f"odeint: unexpected argument {bad[0]!r}")
    if not isinstance(args, tuple):
        args = (args,)
    t = _times(t, "odeint")
    user = (lambda y, s, *a: func(s, y, *a)) if tfirst else func
    return _solve(user, y0, t, args, _Solver("odeint", rtol, atol, options), "odeint")


class OdeResult(dict):
    """solve_ivp's result: t (the times, plain), y (the solution, shape (n, len(t)), traced),
    success, status, message; attributes as scipy's OdeResult."""

    __getattr__ = dict.__getitem__


_METHODS = ("RK45", "RK23", "DOP853", "Radau", "BDF", "LSODA")


def solve_ivp(fun: Callable[..., Any], t_span: Sequence[ArrayLike], y0: ArrayLike,
              method: str = "RK45", t_eval: Optional[ArrayLike] = None,
              dense_output: bool = False, events: None = None, vectorized: bool = False,
              args: Any = None, **options: Any) -> OdeResult:
    """scipy.integrate.solve_ivp, differentiable in y0, args, t_span and t_eval: the solution of
    dy/dt = fun(t, y, *args) at t_eval (or, without t_eval, at the solver's own steps, taken as
    given times between the traced ends of t_span). Returns an OdeResult with .t and .y.
    Derivatives are exact for the ODE up to rtol/atol (scipy's defaults 1e-3 and 1e-6: pass
    tighter ones where derivatives matter); see the module's docstring."""
    if dense_output:
        raise ValueError("solve_ivp: dense_output is not supported on differentiable solutions "
                         "(pass t_eval)")
    if events is not None:
        raise ValueError("solve_ivp: events are not supported on differentiable solutions")
    if vectorized:
        raise ValueError("solve_ivp: vectorized=True is not supported (fun is called on one "
                         "state at a time)")
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"solve_ivp: method must be one of {', '.join(_METHODS)}, got "
                         f"{method!r}")
    if len(t_span) != 2:
        raise ValueError("solve_ivp: t_span is (t0, t1)")
    t0, t1 = t_span
    if isinstance(y0, (list, tuple)):  # entries, possibly traced
        y0 = F.array(y0)
    rtol, atol = options.pop("rtol", 1e-3), options.pop("atol", 1e-6)
    args = () if args is None else tuple(args) if isinstance(args, (tuple, list)) else (args,)
    solver = _Solver(method, rtol, atol, options)
    t0p, t1p = float(primal(t0)), float(primal(t1))
    if t_eval is None:  # the solver's own steps, as scipy gives them
        y0p = np.atleast_1d(np.asarray(primal(y0), dtype=float))
        leaves, tree = flatten(args)
        argsp = unflatten(tree, [primal(a) for a in leaves])
        plain = _plain(lambda y, s: fun(s, y, *argsp))
        steps = _scipy_integrate().solve_ivp(lambda s, y: plain(y, s), (t0p, t1p), y0p,
                                             method=method, rtol=rtol, atol=atol, **options).t
        inner = steps[1:-1]
        times = F.concatenate([F.reshape(t0, (1,)), inner, F.reshape(t1, (1,))]) \
            if isinstance(t0, Tracer) or isinstance(t1, Tracer) else np.array([t0p, *inner, t1p])
        first = 0
    else:
        te = _times(t_eval, "solve_ivp")
        tep = np.asarray(primal(te))
        lo, hi = min(t0p, t1p), max(t0p, t1p)
        if np.any(tep < lo) or np.any(tep > hi):
            raise ValueError("solve_ivp: t_eval must lie within t_span")
        if tep.size > 1 and (np.diff(tep) * (t1p - t0p) < 0).any():
            raise ValueError("solve_ivp: t_eval must be sorted in the direction of t_span")
        times = F.concatenate([F.reshape(t0, (1,)), te]) \
            if isinstance(t0, Tracer) or isinstance(te, Tracer) else np.concatenate([[t0p], tep])
        first = 1
    _times(times, "solve_ivp")
    ys = _solve(lambda y, s, *a: fun(s, y, *a), y0, times, args, solver, "solve_ivp")
    ys = ys[first:]
    return OdeResult(t=np.asarray(primal(times))[first:], y=F.transpose(ys), success=True,
                     status=0, message="The solver successfully reached the end of the "
                     "integration interval.", sol=None, t_events=None, y_events=None)
