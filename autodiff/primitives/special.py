"""Special functions of scipy.special, differentiable to any order: each derivative is written
with primitives (gammaln's is digamma, digamma's polygamma(1, .), ...). scipy is an optional
dependency: it is imported when one of them is first computed, not with autodiff."""
import numpy as np

from .._optional import require
from ..core.tracer import bottom
from .declaration import declare
from .elementwise import exp, log, log1p, where
from .samples import positive, through, uniform

_SQRT_PI = np.sqrt(np.pi)
_SQRT_2PI = np.sqrt(2.0 * np.pi)
_scipy_special = None


def _sc(name):
    """scipy.special.<name>, imported on first use."""
    def impl(*args):
        global _scipy_special
        if _scipy_special is None:
            _scipy_special = require("scipy.special", "optimize", "autodiff's special functions")
        return getattr(_scipy_special, name)(*args)
    impl.__name__ = name
    return impl


def _unary(name, partial, x=uniform(3), scipy=None, numpy=()):
    """A unary ufunc of scipy.special; `x` is the sample input."""
    return declare(name, _sc(name), ("x",), diagonal=[partial], broadcasts=True,
                   sparsity="elementwise-nonlinear", scipy=scipy or (f"special.{name}",),
                   numpy=numpy, samples=[(x,)])


def _binary(name, partial_x, partial_y, args=("x", "y"), x=uniform(2, 3)):
    """A binary ufunc of scipy.special, sampled on arguments that broadcast."""
    return declare(name, _sc(name), args, diagonal=[partial_x, partial_y], broadcasts=True,
                   sparsity="elementwise-nonlinear", scipy=(f"special.{name}",),
                   samples=[(x, positive(3))])


def _quotient(num, den, fill=0.0):
    """num / den, but `fill` where both are 0 (a 0 / 0 that the function defines, as 0 log 0),
    computed on a safe denominator there so that no NaN reaches any order. Only there: where
    num alone is 0 the quotient keeps its derivatives (d(x / y) / dx = 1 / y at x = 0)."""
    zero = (bottom(num) == 0) & (bottom(den) == 0)  # staged under ad.jit
    if not np.any(zero):
        return num / den
    return where(zero, fill, num / where(zero, 1.0, den))


# --- gamma and its relatives -------------------------------------------------------------------
def _polygamma_impl(n, x):
    return _sc("polygamma")(n, x)


polygamma = declare("polygamma", _polygamma_impl, ("n", "x"), broadcasts=True,
                    diagonal=[None, lambda n, x: polygamma(np.asarray(n) + 1, x)],
                    sparsity="elementwise-nonlinear",
                    samples=[through(lambda x: polygamma(1, x), positive(3))],
                    doc="scipy.special.polygamma(n, x): the n-th derivative of digamma")
digamma = _unary("digamma", lambda x: polygamma(1, x), positive(3),
                 scipy=("special.digamma", "special.psi"))
gammaln = _unary("gammaln", lambda x: digamma(x), positive(3))
gamma = _unary("gamma", lambda out, x: out * digamma(x), positive(3))
betaln = _binary("betaln", lambda a, b: digamma(a) - digamma(a + b),
                 lambda a, b: digamma(b) - digamma(a + b), args=("a", "b"), x=positive(2, 3))
beta = _binary("beta", lambda out, a, b: out * (digamma(a) - digamma(a + b)),
               lambda out, a, b: out * (digamma(b) - digamma(a + b)), args=("a", "b"),
               x=positive(2, 3))

# --- error function and the normal distribution ------------------------------------------------
erf = _unary("erf", lambda x: (2.0 / _SQRT_PI) * exp(-(x * x)))
erfc = _unary("erfc", lambda x: (-2.0 / _SQRT_PI) * exp(-(x * x)))
erfinv = _unary("erfinv", lambda out: (_SQRT_PI / 2.0) * exp(out * out),
                 uniform(3, lo=-0.9, hi=0.9))
erfcinv = _unary("erfcinv", lambda out: (-_SQRT_PI / 2.0) * exp(out * out),
                  uniform(3, lo=0.1, hi=1.9))
ndtr = _unary("ndtr", lambda x: exp(-0.5 * (x * x)) / _SQRT_2PI)
# phi(x) / Phi(x) as exp(-x^2/2 - log Phi(x)) / sqrt(2 pi): finite where Phi(x) underflows
log_ndtr = _unary("log_ndtr", lambda out, x: exp(-0.5 * (x * x) - out) / _SQRT_2PI,
                   uniform(3, lo=-4.0, hi=2.0))
ndtri = _unary("ndtri", lambda out: _SQRT_2PI * exp(0.5 * (out * out)),
                uniform(3, lo=0.05, hi=0.95))

# --- logistic --------------------------------------------------------------------------------
expit = _unary("expit", lambda out: out * (1.0 - out))
logit = _unary("logit", lambda x: 1.0 / (x * (1.0 - x)), uniform(3, lo=0.05, hi=0.95))
log_expit = _unary("log_expit", lambda x: expit(-x))  # 1 - expit(x), without cancellation

# --- x log y and the entropies (0 log 0 = 0) -----------------------------------------------------
xlogy = _binary("xlogy", lambda y: log(y), lambda x, y: _quotient(x, y))
xlog1py = _binary("xlog1py", lambda y: log1p(y), lambda x, y: _quotient(x, 1.0 + y))
entr = _unary("entr", lambda x: -(log(x) + 1.0), positive(3))
rel_entr = _binary("rel_entr", lambda x, y: log(x / y) + 1.0, lambda x, y: -_quotient(x, y),
                   x=positive(2, 3))
kl_div = _binary("kl_div", lambda x, y: log(x / y), lambda x, y: 1.0 - x / y, x=positive(2, 3))

# --- exponentially scaled Bessel functions -------------------------------------------------------
# i0e = exp(-|x|) I0(x), i1e = exp(-|x|) I1(x); I0' = I1 and I1' = I0 - I1 / x (1/2 at 0).
i1e = _unary("i1e", lambda out, x: i0e(x) - _quotient(out, x, 0.5) - np.sign(bottom(x)) * out)
i0e = _unary("i0e", lambda out, x: i1e(x) - np.sign(bottom(x)) * out)

# --- incomplete gamma and beta functions, Student's t distribution ------------------------------
# Their derivatives in the integration limit are closed forms; in the shape parameters they are
# series that autodiff does not have: a traced shape parameter is an error, never a zero.
def _no_derivative(name, arg, only="the integration limit"):
    def partial():
        raise NotImplementedError(f"the derivative of scipy.special.{name} with respect to {arg} "
                                  f"is not implemented (only with respect to {only}); pass it "
                                  "as a constant (autodiff.stop_gradient)")
    return partial


gammainc = declare(
    "gammainc", _sc("gammainc"), ("a", "x"), broadcasts=True, sparsity="elementwise-nonlinear",
    diagonal=[_no_derivative("gammainc", "a"),
              lambda a, x: exp((a - 1.0) * log(x) - x - gammaln(a))],
    scipy=("special.gammainc",), samples=[through(lambda x: gammainc(1.7, x), positive(3))])
gammaincc = declare(
    "gammaincc", _sc("gammaincc"), ("a", "x"), broadcasts=True, sparsity="elementwise-nonlinear",
    diagonal=[_no_derivative("gammaincc", "a"),
              lambda a, x: -exp((a - 1.0) * log(x) - x - gammaln(a))],
    scipy=("special.gammaincc",), samples=[through(lambda x: gammaincc(1.7, x), positive(3))])
betainc = declare(
    "betainc", _sc("betainc"), ("a", "b", "x"), broadcasts=True,
    sparsity="elementwise-nonlinear",
    diagonal=[_no_derivative("betainc", "a"), _no_derivative("betainc", "b"),
              lambda a, b, x: exp((a - 1.0) * log(x) + (b - 1.0) * log1p(-x) - betaln(a, b))],
    scipy=("special.betainc",),
    samples=[through(lambda x: betainc(1.5, 2.5, x), uniform(3, lo=0.1, hi=0.9))])
# Student's t distribution function: its derivative in t is the density
stdtr = declare(
    "stdtr", _sc("stdtr"), ("df", "t"), broadcasts=True, sparsity="elementwise-nonlinear",
    diagonal=[_no_derivative("stdtr", "df"),
              lambda df, t: exp(gammaln(0.5 * (df + 1.0)) - gammaln(0.5 * df)
                                - 0.5 * log(df * np.pi) - 0.5 * (df + 1.0) * log1p(t * t / df))],
    scipy=("special.stdtr",), samples=[through(lambda t: stdtr(3.5, t), uniform(3, lo=-3, hi=3))])

# --- Bessel functions ------------------------------------------------------------------------
# I0' = I1, I1' = I0 - I1 / x (1/2 at 0), I_v' = (I_{v-1} + I_{v+1}) / 2; J0' = -J1,
# J1' = J0 - J1 / x, J_n' = (J_{n-1} - J_{n+1}) / 2; Y likewise. The order is not differentiated.
i0 = _unary("i0", lambda x: i1(x))
i1 = _unary("i1", lambda out, x: i0(x) - _quotient(out, x, 0.5))
j0 = _unary("j0", lambda x: -j1(x))
j1 = _unary("j1", lambda out, x: j0(x) - _quotient(out, x, 0.5))
y0 = _unary("y0", lambda x: -y1(x), positive(3))
y1 = _unary("y1", lambda out, x: y0(x) - out / x, positive(3))


def _order(name, partial, sample=positive(3)):
    """A Bessel function of an order v (first argument, not differentiated) and x (sampled
    positive: a non-integer order is real for x > 0 only)."""
    return declare(name, _sc(name), ("v", "x"), broadcasts=True,
                   sparsity="elementwise-nonlinear",
                   diagonal=[_no_derivative(name, "its order v", "x"), partial],
                   scipy=(f"special.{name}",),
                   samples=[through(lambda x: _BESSEL[name](1.5 if name[1] == "v" else 2, x),
                                    sample)])


iv = _order("iv", lambda v, x: 0.5 * (iv(v - 1.0, x) + iv(v + 1.0, x)))
ive = _order("ive", lambda out, v, x: 0.5 * (ive(v - 1.0, x) + ive(v + 1.0, x))
             - np.sign(bottom(x)) * out)
jv = _order("jv", lambda v, x: 0.5 * (jv(v - 1.0, x) - jv(v + 1.0, x)))
yv = _order("yv", lambda v, x: 0.5 * (yv(v - 1.0, x) - yv(v + 1.0, x)))
jn = _order("jn", lambda v, x: 0.5 * (jn(v - 1, x) - jn(v + 1, x)))
yn = _order("yn", lambda v, x: 0.5 * (yn(v - 1, x) - yn(v + 1, x)))
_BESSEL = {"iv": iv, "ive": ive, "jv": jv, "yv": yv, "jn": jn, "yn": yn}
