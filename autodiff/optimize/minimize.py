"""ad.optimize.minimize: scipy-style minimization of functions of pytrees with exact
derivatives: Newton (exact Hessian), Hessian-free methods (HVPs only) and quasi-Newton."""
import numpy as np

from .._optional import require_scipy
from .newton import newton
from .objective import ScipyObjective

HESSP_METHODS = ("newton-cg", "trust-ncg", "trust-krylov")
HESS_METHODS = ("trust-exact", "dogleg")
GRAD_METHODS = ("bfgs", "l-bfgs-b", "cg", "slsqp", "tnc")


def minimize(f, x0, method="newton", args=(), tol=None, options=None, callback=None):
    """Minimize f(x, *args) over x, a pytree (dict of arrays, array, ...), from x0.

    method: 'newton' (exact Hessian, line search, indefinite Hessians modified to keep descent),
    'newton-cg' / 'trust-ncg' / 'trust-krylov' (Hessian-free: exact HVPs, never the matrix),
    'trust-exact' / 'dogleg' (exact Hessian in scipy), 'bfgs' / 'l-bfgs-b' / 'cg' (gradient
    only). Returns scipy's OptimizeResult (x in x0's structure, fun, jac, nit, nfev, njev,
    nhev, nhvp, success, message)."""
    scipy = require_scipy()
    method_l = method.lower()
    options = dict(options or {})
    obj = ScipyObjective(f, x0, args)
    wrapped_callback = None if callback is None else (lambda xk, *a: callback(obj.unravel(xk)))
    if method_l == "newton":
        if tol is not None:
            options.setdefault("gtol", tol)
        x, fun, jac, nit, success, message = newton(obj, obj.x0, callback=wrapped_callback,
                                                     **options)
        res = scipy.optimize.OptimizeResult(x=x, fun=fun, jac=jac, nit=nit, success=success,
                                            status=0 if success else 1, message=message)
    elif method_l in HESSP_METHODS + HESS_METHODS + GRAD_METHODS:
        kwargs = dict(jac=obj.jac)
        if method_l in HESSP_METHODS:
            kwargs["hessp"] = obj.hessp
        elif method_l in HESS_METHODS:
            kwargs["hess"] = obj.hess
        res = scipy.optimize.minimize(obj.fun, obj.x0, method=method, tol=tol, options=options,
                                      callback=wrapped_callback, **kwargs)
        res.jac = obj.jac(res.x)
    else:
        raise ValueError(f"unknown method {method!r}; choose one of newton, "
                         + ", ".join(HESSP_METHODS + HESS_METHODS + GRAD_METHODS))
    res.x = obj.unravel(np.asarray(res.x))
    res.jac = obj.unravel(np.asarray(res.jac))
    res.nfev, res.njev, res.nhev, res.nhvp = obj.nfev, obj.nfev, obj.nhev, obj.nhvp
    res.fun = float(res.fun)
    return res
