"""autodiff.curvature: the Hessian without forming it (a LinearOperator of exact HVPs), its
extreme eigenpairs, trace and spectral density, condition number, curvature along a direction,
and the classification of critical points with a way out of saddles. Needs scipy."""
from .critical import CriticalPoint, classify_critical_point, escape_saddle
from .operator import hessian_operator
from .spectrum import (hessian_eigenvalues, hessian_trace, spectral_density, condition_number,
                       curvature_along, lanczos, lanczos_block, TraceEstimate, Density)

__all__ = ["hessian_operator", "hessian_eigenvalues", "hessian_trace", "spectral_density",
           "condition_number", "curvature_along", "lanczos", "lanczos_block",
           "classify_critical_point", "escape_saddle", "CriticalPoint", "TraceEstimate",
           "Density"]
