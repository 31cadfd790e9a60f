"""`autodiff.scipy.special`: scipy.special's functions, differentiable to any order.

The ufuncs (gammaln, gamma, digamma/psi, betaln, beta, erf, erfc, erfinv, erfcinv, ndtr,
log_ndtr, ndtri, expit, logit, log_expit, xlogy, xlog1py, entr, rel_entr, kl_div, i0e, i1e) are
primitives (autodiff/primitives/special.py) and also work as plain `scipy.special.<name>(x)` on
traced values; polygamma, multigammaln, logsumexp, softmax and log_softmax are here.
"""
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from ..core.tracer import Tracer, bottom
from ..numpy import functions as F
from ..numpy.names import SERVED, serves
from ..primitives import elementwise as E, reductions as R
from ..primitives.special import gammaln, polygamma as _polygamma
from ..typing import Array, ArrayLike

Axis = Optional[Union[int, Sequence[int]]]  # an axis, several, or None for all


@serves("scipy.special.polygamma")
def polygamma(n: ArrayLike, x: ArrayLike) -> Array:
    """scipy.special.polygamma(n, x): the n-th derivative of digamma (n a constant integer)."""
    if isinstance(n, Tracer):
        raise TypeError("polygamma: n (the order) must be a constant integer, not traced")
    n = np.asarray(n)
    if n.dtype.kind not in "iu" and not np.all(n == np.floor(n)):
        raise ValueError(f"polygamma: n must be an integer, got {n!r}")
    return _polygamma(n.astype(int), x)


@serves("scipy.special.multigammaln")
def multigammaln(a: ArrayLike, d: int) -> Array:
    """scipy.special.multigammaln(a, d): the log of the multivariate gamma function of
    dimension d (a constant integer)."""
    d = int(d)
    if np.any(bottom(a) <= 0.5 * (d - 1)):
        raise ValueError(f"multigammaln: condition a > (d-1)/2 = {0.5 * (d - 1)} not met")
    terms = gammaln(F.expand_dims(F.asarray(a), -1) - 0.5 * np.arange(d))
    return d * (d - 1) / 4.0 * np.log(np.pi) + R.sum(terms, -1)


@serves("scipy.special.logsumexp")
def logsumexp(a: ArrayLike, axis: Axis = None, b: Optional[ArrayLike] = None,
              keepdims: bool = False,
              return_sign: bool = False) -> Union[Array, Tuple[Array, np.ndarray]]:
    """scipy.special.logsumexp: log(sum(b * exp(a))), computed stably (the maximum is taken
    out first, as a constant: the derivatives are exact, the softmax weights); with
    return_sign, (log|s|, sign(s)) for weights b of either sign."""
    a = F._as_array(a)
    if b is not None:  # as scipy: the axes are those of a and b broadcast together
        a = F.broadcast_to(a, np.broadcast_shapes(np.shape(a), np.shape(b)))
    m = np.amax(bottom(a), axis=axis, keepdims=True)  # staged under ad.jit
    m = np.where(np.isfinite(m), m, 0.0)  # all -inf (or an inf): no shift
    e = E.exp(a - m)
    if b is not None:
        e = e * F._as_array(b)
    s = F.sum(e, axis=axis, keepdims=keepdims)
    shift = m if keepdims else np.squeeze(m, axis=axis)
    if return_sign:
        return E.log(E.absolute(s)) + shift, np.sign(bottom(s))
    return E.log(s) + shift  # NaN, as scipy's, where weights b make the sum negative


@serves("scipy.special.softmax")
def softmax(x: ArrayLike, axis: Axis = None) -> Array:
    """scipy.special.softmax: exp(x - logsumexp(x)) along axis (all entries for None)."""
    lse: Any = logsumexp(x, axis=axis, keepdims=True)  # an array (Any: any x - it works)
    return E.exp(x - lse)


@serves("scipy.special.log_softmax")
def log_softmax(x: ArrayLike, axis: Axis = None) -> Array:
    """scipy.special.log_softmax: x - logsumexp(x), without exp's overflow or log's underflow."""
    lse: Any = logsumexp(x, axis=axis, keepdims=True)
    return x - lse


_NAMES = {n[len("scipy.special."):]: fn for n, fn in SERVED.items()
          if n.startswith("scipy.special.")}
globals().update(_NAMES)
__all__ = sorted(_NAMES)


def __getattr__(name):
    raise AttributeError(f"autodiff.scipy.special has no {name!r}: scipy.special.{name} is not "
                         f"differentiable in autodiff yet (supported: {', '.join(__all__)})")
