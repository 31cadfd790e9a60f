"""Generalized Gauss-Newton products, the curvature of Martens-style Hessian-free training."""
from ..transforms import jvp, vjp, hvp
from ..typing import Fun, PyTree, ScalarFun


def ggnvp(model: Fun, loss: ScalarFun, params: PyTree, v: PyTree) -> PyTree:
    """G v with G = J^T H_L J, for the objective loss(model(params)): J the Jacobian of the
    model's outputs, H_L the Hessian of the loss in those outputs. G is positive semi-definite
    for convex losses, which the Hessian of a network's loss is not: CG needs that.
    Costs one JVP, one HVP of the loss (cheap: it is a function of the outputs) and one VJP."""
    outputs, Jv = jvp(model, (params,), (v,))
    HJv = hvp(loss, outputs, Jv)
    _, vjp_fn = vjp(model, params)
    return vjp_fn(HJv)[0]
