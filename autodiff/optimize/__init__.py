"""autodiff.optimize: Newton, Hessian-free and quasi-Newton minimization with exact derivatives,
scipy.optimize integration and Gauss-Newton products. Needs scipy (the 'optimize' extra)."""
from .ggn import ggnvp
from .minimize import minimize
from .newton import modified_newton_direction
from .objective import ScipyObjective, scipy_objective

__all__ = ["minimize", "scipy_objective", "ScipyObjective", "ggnvp",
           "modified_newton_direction"]
