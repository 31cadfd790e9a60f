"""`autodiff.scipy`: differentiable counterparts of SciPy functions. Plain `scipy.special`
ufuncs (gammaln, digamma, erf, expit, xlogy, ...) differentiate when applied to traced values;
this package also has those that are not ufuncs (logsumexp, softmax, polygamma, ...)."""
from . import special  # noqa: F401
