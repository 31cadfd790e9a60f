"""autodiff: automatic differentiation of NumPy code, specialised in exact second derivatives.

    import autodiff as ad
    ad.grad(f)(x); ad.hvp(f, x, v); ad.hessian(f)(x); ad.jacfwd(f)(x); ad.vjp(f, x)
"""
from . import numpy  # noqa: F401  (registers the primitives and the NumPy protocols)
from . import viz  # noqa: F401
from .transforms import (grad, value_and_grad, vjp, jvp, jacrev, jacobian, jacfwd, hvp,
                         hvp_fn, hessian, stop_gradient)
from .staging import jit
from .hessian_products import hessian_times_matrix
from .pytree import tree_map, ravel_pytree
from .checks import check_grads
from .allocator import tune_allocator
from .core import shortcuts
from . import optimize, curvature  # noqa: E402  (scipy is imported only when they are used)
from .optimize import ggnvp
from .curvature import hessian_operator, classify_critical_point
from . import sparse  # noqa: E402
from . import scipy  # noqa: E402  (autodiff.scipy.special; scipy itself is imported on use)
from . import progress  # noqa: E402  (ad.progress.enable(): progress of long work)
from . import inference  # noqa: E402
from . import distributed  # noqa: E402  (executor=: chunks on workers; dask imported on use)
from .sparse import hessian_sparsity, sparse_hessian

__version__ = "0.1.0"
__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacrev", "jacobian", "jacfwd", "hvp",
           "hvp_fn", "hessian", "jit", "hessian_times_matrix", "stop_gradient", "tree_map",
           "ravel_pytree", "check_grads", "numpy", "viz", "optimize", "curvature", "ggnvp", "hessian_operator",
           "classify_critical_point", "sparse", "hessian_sparsity", "sparse_hessian",
           "tune_allocator", "shortcuts", "scipy", "progress", "inference", "distributed"]
