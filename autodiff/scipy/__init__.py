"""`autodiff.scipy`: differentiable counterparts of SciPy functions. Plain `scipy.special`
ufuncs (gammaln, digamma, erf, expit, xlogy, ...) differentiate when applied to traced values;
`autodiff.scipy.special` also has those that are not ufuncs (logsumexp, softmax, polygamma,
...), and `autodiff.scipy.stats` the distributions' log densities and distribution functions,
differentiable in the data and every parameter."""
from . import special, stats  # noqa: F401
from . import integrate  # noqa: F401  (odeint, solve_ivp)
