"""ad.optimize.minimize: scipy-style minimization of functions of pytrees with exact
derivatives: Newton (exact Hessian), Hessian-free methods (HVPs only) and quasi-Newton, with
scipy's bounds and constraints for the methods that take them."""
import re
import warnings
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Sequence

import numpy as np

from .._optional import require_scipy
from ..pytree import ravel_pytree
from ..transforms import jacrev
from .newton import newton, NEWTON_OPTIONS
from .objective import ScipyObjective
from ..typing import PyTree, ScalarFun

if TYPE_CHECKING:
    import scipy.optimize

HESSP_METHODS = ("newton-cg", "trust-ncg", "trust-krylov", "trust-constr")
HESS_METHODS = ("trust-exact", "dogleg")
GRAD_METHODS = ("bfgs", "l-bfgs-b", "cg", "slsqp", "tnc")
METHODS = ("newton",) + HESSP_METHODS + HESS_METHODS + GRAD_METHODS
BOUNDS_METHODS = ("l-bfgs-b", "slsqp", "tnc", "trust-constr")
CONSTRAINTS_METHODS = ("slsqp", "trust-constr")
OWN_DISP = ("newton", "l-bfgs-b")


def minimize(f: ScalarFun, x0: PyTree, method: str = "newton", *, args: Sequence[Any] = (),
             tol: Optional[float] = None, options: Optional[dict] = None,
             callback: Optional[Callable[[PyTree], Any]] = None, bounds: Any = None,
             constraints: Any = (), jit: Optional[bool] = None
             ) -> "scipy.optimize.OptimizeResult":
    """Minimize f(x, *args) over x, a pytree (dict of arrays, array, ...), from x0.

    method: 'newton' (exact Hessian, line search, indefinite Hessians modified to keep descent),
    'newton-cg' / 'trust-ncg' / 'trust-krylov' (Hessian-free: exact HVPs, never the matrix),
    'trust-exact' / 'dogleg' (exact Hessian in scipy), 'trust-constr' (exact HVPs; bounds and
    constraints), 'bfgs' / 'l-bfgs-b' / 'cg' / 'slsqp' / 'tnc' (gradient only).

    options: the method's options (scipy's, see `scipy.optimize.show_options`; for 'newton':
    gtol, xtol, maxiter, c1, disp); an unknown one is an error that lists the valid ones.
    `disp=True` prints a summary (and scipy's own reports). callback(x) is called after each
    iteration of every method with x in x0's structure.

    bounds: for 'l-bfgs-b', 'slsqp', 'tnc', 'trust-constr', as scipy takes them, on the flat
    vector (the order of `ravel_pytree(x0)`): a `scipy.optimize.Bounds` or (min, max) pairs.
    constraints: for 'slsqp' and 'trust-constr', as scipy takes them; the `fun` of a dict
    constraint or a `NonlinearConstraint` receives x in x0's structure (then *args for a dict's
    'args'), and gets its exact Jacobian when none is given.

    jit: stage the derivatives with ad.jit across iterates (see ScipyObjective): the same
    numbers, f's Python run once per recording. None (the default) follows ad.shortcuts
    'staged_toolkit'; False never stages.

    Returns scipy's OptimizeResult (x in x0's structure, fun, jac, nit, nfev, njev, nhev, nhvp,
    success, message)."""
    scipy = require_scipy()
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    method_l = method.lower()
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"options must be a dict of the method's options, got {options!r:.60}")
    options = dict(options or {})
    _check_bounds_and_constraints(method_l, bounds, constraints)
    # scipy's L-BFGS-B deprecates disp (1.15+): its summary, like newton's, is printed here
    own_disp = bool(options.pop("disp", False)) if method_l in OWN_DISP else False
    obj = ScipyObjective(f, x0, args, jit=jit)
    wrapped_callback = None if callback is None else (lambda xk, *a: callback(obj.unravel(xk)))
    if method_l == "newton":
        unknown = sorted(set(options) - set(NEWTON_OPTIONS) - {"disp"})
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(map(repr, unknown))} for method "
                             f"'newton'; valid options: {', '.join(NEWTON_OPTIONS)}")
        if tol is not None:
            options.setdefault("gtol", tol)
        x, fun, jac, nit, success, message = newton(obj, obj.x0, callback=wrapped_callback,
                                                     **options)
        res = scipy.optimize.OptimizeResult(x=x, fun=fun, jac=jac, nit=nit, success=success,
                                            status=0 if success else 1, message=message)
    else:
        kwargs: Dict[str, Any] = dict(jac=obj.jac)
        if method_l in HESSP_METHODS:
            kwargs["hessp"] = obj.hessp
        elif method_l in HESS_METHODS:
            kwargs["hess"] = obj.hess
        if bounds is not None:
            kwargs["bounds"] = bounds
        if method_l in CONSTRAINTS_METHODS:
            kwargs["constraints"] = _flat_constraints(constraints, obj.unravel)
        with warnings.catch_warnings():
            # scipy only warns about an unknown option (then ignores it): a typo must not pass
            warnings.filterwarnings("error", message="Unknown solver options",
                                    category=scipy.optimize.OptimizeWarning)
            try:
                res = scipy.optimize.minimize(obj.fun, obj.x0, method=method, tol=tol,
                                              options=options, callback=wrapped_callback,
                                              **kwargs)
            except scipy.optimize.OptimizeWarning as warning:
                raise _unknown_options(scipy, method_l, str(warning)) from None
            except TypeError as error:  # trust-constr: an internal function's TypeError
                name = re.search(r"unexpected keyword argument '(\w+)'", str(error))
                if name is None or name.group(1) not in options:
                    raise
                raise _unknown_options(scipy, method_l, f"Unknown solver options: "
                                       f"{name.group(1)}") from None
        res.jac = obj.jac(res.x)
    res.x = obj.unravel(np.asarray(res.x))
    res.jac = obj.unravel(np.asarray(res.jac))
    res.nfev, res.njev, res.nhev, res.nhvp = obj.nfev, obj.nfev, obj.nhev, obj.nhvp
    res.fun = float(res.fun)
    if own_disp:
        print(f"{res.message}\n         Current function value: {res.fun:.6g}\n"
              f"         Iterations: {res.nit}\n         Function evaluations: {res.nfev}\n"
              f"         Hessian evaluations: {res.nhev}")
    return res


def _check_bounds_and_constraints(method, bounds, constraints):
    """scipy only warns when a method ignores bounds or constraints: here it is an error."""
    if bounds is not None and method not in BOUNDS_METHODS:
        raise ValueError(f"method {method!r} does not take bounds; use one of "
                         f"{', '.join(BOUNDS_METHODS)}")
    if constraints is not None and not isinstance(constraints, (list, tuple)):
        constraints = [constraints]
    if constraints and method not in CONSTRAINTS_METHODS:
        raise ValueError(f"method {method!r} does not take constraints; use one of "
                         f"{', '.join(CONSTRAINTS_METHODS)}")


def _flat_constraints(constraints, unravel):
    """The constraints with their functions of pytrees seen as functions of the flat vector,
    with exact Jacobians where none is given."""
    scipy = require_scipy()
    if constraints is None:
        return ()
    single = not isinstance(constraints, (list, tuple))
    out = []
    for c in [constraints] if single else constraints:
        if isinstance(c, dict):
            c = dict(c)
            fun = c["fun"]
            flat_fun = lambda z, *a, fun=fun: np.asarray(fun(unravel(z), *a), dtype=float)
            if c.get("jac") is None:
                c["jac"] = _flat_jacobian(fun, unravel)
            else:
                jac = c["jac"]
                c["jac"] = lambda z, *a, jac=jac: _flat_jacobian_value(jac(unravel(z), *a), z)
            c["fun"] = flat_fun
            out.append(c)
        elif isinstance(c, scipy.optimize.NonlinearConstraint):
            fun = c.fun
            jac = _flat_jacobian(fun, unravel)
            if callable(c.jac):
                user_jac = c.jac
                jac = lambda z, user_jac=user_jac: _flat_jacobian_value(user_jac(unravel(z)), z)
            out.append(scipy.optimize.NonlinearConstraint(
                lambda z, fun=fun: np.asarray(fun(unravel(z)), dtype=float), c.lb, c.ub,
                jac=jac, hess=c.hess, keep_feasible=c.keep_feasible))
        else:  # LinearConstraint and the like: already on the flat vector
            out.append(c)
    return out


def _flat_jacobian(fun, unravel):
    """z -> the exact Jacobian of fun(unravel(z), *args) as an (m, n) array."""
    jac = jacrev(lambda z, *a: fun(unravel(z), *a))
    return lambda z, *a: np.asarray(jac(z, *a), dtype=float).reshape(-1, np.size(z))


def _flat_jacobian_value(J, z):
    """A user's Jacobian given as a pytree of x's structure (one constraint) or an array."""
    if isinstance(J, np.ndarray) or np.isscalar(J):
        return np.asarray(J, dtype=float).reshape(-1, np.size(z))
    return ravel_pytree(J)[0].reshape(1, np.size(z))


def _unknown_options(scipy, method, what):
    return ValueError(f"{what} for method {method!r}; valid options: "
                      f"{', '.join(_scipy_options(scipy, method))} (see "
                      f"scipy.optimize.show_options('minimize', {method!r}))")


def _scipy_options(scipy, method):
    """The option names scipy documents for `method` (plus those of the trust-region driver
    behind trust-ncg, trust-krylov, trust-exact and dogleg, which their docstrings omit)."""
    doc = scipy.optimize.show_options("minimize", method, disp=False)
    doc = re.split(r"^\s*Returns\s*\n\s*-+\s*$", doc, flags=re.M)[0]
    names = re.findall(r"^\s*([A-Za-z_]\w*)\s*:", doc, re.M)
    if method in ("trust-ncg", "trust-krylov", "trust-exact", "dogleg"):
        names += ["maxiter", "disp", "return_all"]
    return sorted(set(names))
