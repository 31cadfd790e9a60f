"""Elementwise primitives. Their Jacobians are diagonal, so each declares one partial derivative
per argument, `d out / d arg`, serving as both JVP and VJP (`declare(..., diagonal=...)`).
Arguments broadcast against each other; the declarations lift tangents and sum cotangents
accordingly (declaration.py, broadcasting.py)."""
import numpy as np

from ..core.tracer import Tracer, bottom
from .declaration import declare, scaled
from .complex import is_complex
from .samples import uniform, positive, values, through

_LN2, _LN10 = np.log(2.0), np.log(10.0)
_C = None  # the complex parts (primitives/complex.py), bound by the package's __init__


def _unary(name, impl, partial, sparsity="elementwise-nonlinear", numpy=None, x=uniform(3)):
    """A unary ufunc; `x` is the sample input (default: uniform in [-1, 1))."""
    return declare(name, impl, ("x",), diagonal=[partial], broadcasts=True, sparsity=sparsity,
                   numpy=(name,) if numpy is None else numpy, samples=[(x,)])


def _binary(name, impl, partial_x, partial_y, sparsity="elementwise-nonlinear", samples=None):
    """A binary ufunc; by default sampled on x of shape (2, 3) and y of shape (3) (broadcast)."""
    return declare(name, impl, ("x", "y"), diagonal=[partial_x, partial_y], broadcasts=True,
                   sparsity=sparsity, numpy=(name,),
                   samples=[(uniform(2, 3), uniform(3))] if samples is None else samples)


def _const(x):
    """A piecewise-constant factor (a mask) computed on the innermost values (staged under
    ad.jit, so the mask is recomputed at each replay: see core.tracer.bottom)."""
    return bottom(x)


# --- arithmetic ------------------------------------------------------------------------------
add = _binary("add", np.add, lambda: 1, lambda: 1, "elementwise-linear")
subtract = _binary("subtract", np.subtract, lambda: 1, lambda: -1, "elementwise-linear",
                   samples=[(uniform(2, 1), uniform(3))])
multiply = _binary("multiply", np.multiply, lambda y: y, lambda x: x, "elementwise-product",
                   samples=[(uniform(2, 3), uniform(2, 3)), (uniform(3), uniform(4, 1))])
divide = declare("divide", np.true_divide, ("x", "y"), broadcasts=True,
                 diagonal=[lambda y: 1.0 / y, lambda out, y: -out / y],
                 sparsity="elementwise-quotient", numpy=("divide", "true_divide"),
                 samples=[(uniform(2, 3), positive(3))])
negative = _unary("negative", np.negative, lambda: -1, "elementwise-linear")
reciprocal = _unary("reciprocal",
                    lambda x: np.reciprocal(np.asarray(x, dtype=np.result_type(x, 1.0))),
                    lambda out: -(out * out), x=positive(3))
square = _unary("square", np.square, lambda x: scaled(2.0, x))


def _pow_partial_x(x, y):
    """d/dx x**y = y x**(y-1), which is 0 where y == 0 (x**0 is the constant 1) even at x = 0,
    where the formula reads 0 * inf."""
    if not isinstance(y, Tracer) or y.stages_values:
        # a constant exponent (the usual case), or the exponent's value as the sweep of a
        # gradient reads it; under ad.jit that value is staged, and the tests below become
        # guards, so that a replay takes the branch the unstaged call takes (a symbolic zero
        # at y == 0 drops the term; the formula would add a signed zero, or NaN for inf)
        if len(y.shape if isinstance(y, Tracer) else np.shape(y)) == 0:
            if y == 0:
                return 0
            if y == 1:
                return 1
            if y == 2:
                return scaled(2.0, x)
        if not isinstance(y, Tracer):
            y = np.asarray(y)
        # y * x**1 is 0 where y == 0, and so are its derivatives (the exponent is constant)
        return y * power(x, where(_const(y) == 0, 1, y - 1))
    at_zero = (_const(x) == 0) & (_const(y) == 0)
    if not np.any(at_zero):
        return y * power(x, y - 1)
    # a traced exponent: where x == y == 0 the partial is 0 (x**0 == 1 for every x), taken on
    # safe inputs so that no 0 * inf reaches any order; elsewhere the formula keeps its exact
    # derivative in y (x**(y-1) + y x**(y-1) log x, which a mask on y alone would lose)
    safe = y * power(where(at_zero, 1.0, x), y - 1)
    return where(at_zero, 0.0, safe)


def _pow_partial_y(out, x):
    """d/dy x**y = x**y log x: 0 at x == 0 (0 * log 0, the usual convention: 0**y is 0 for
    every y > 0), NaN where x < 0 (x**y is not real for non-integer y, so there is no
    derivative in y)."""
    xv = _const(x)
    if np.iscomplexobj(xv):  # the principal branch, as np.power's
        return out * log(x)
    log_x = log(where(xv > 0, x, 1.0))
    if np.any(xv < 0):
        log_x = log_x * np.where(xv < 0, np.nan, 1.0)
    return out * log_x


def _power_impl(x, y):
    if type(y) is int and y == 2:
        return np.square(x)  # as NumPy's own `x ** 2`: np.power(x, 2) takes ~1.7x as long
    return np.power(x, y)


power = _binary("power", _power_impl, _pow_partial_x, _pow_partial_y, "elementwise-power",
                samples=[(positive(2, 3), uniform(3)), through(lambda x: x ** 3, uniform(4))])

# --- exponentials and logarithms -------------------------------------------------------------
exp = _unary("exp", np.exp, lambda out: out)
expm1 = _unary("expm1", np.expm1, lambda out: out + 1.0)
exp2 = _unary("exp2", np.exp2, lambda out: out * _LN2)
log = _unary("log", np.log, lambda x: 1.0 / x, x=positive(3))
log1p = _unary("log1p", np.log1p, lambda x: 1.0 / (x + 1.0), x=positive(3))
log2 = _unary("log2", np.log2, lambda x: 1.0 / (x * _LN2), x=positive(3))
log10 = _unary("log10", np.log10, lambda x: 1.0 / (x * _LN10), x=positive(3))
sqrt = _unary("sqrt", np.sqrt, lambda out: 0.5 / out, x=positive(3))
cbrt = _unary("cbrt", np.cbrt, lambda out: 1.0 / (3.0 * out * out), x=positive(3))
logaddexp = _binary("logaddexp", np.logaddexp,
                    lambda out, x: exp(x - out), lambda out, y: exp(y - out))
logaddexp2 = declare(
    "logaddexp2", np.logaddexp2, ("x", "y"), broadcasts=True,
    # d/dx log2(2**x + 2**y) = 2**x / (2**x + 2**y) = 2**(x - out): no overflow, as out >= x
    diagonal=[lambda out, x: exp2(x - out), lambda out, y: exp2(y - out)],
    sparsity="elementwise-nonlinear", numpy=("logaddexp2",),
    samples=[(uniform(2, 3), uniform(3))])

# --- trigonometric and hyperbolic ------------------------------------------------------------
sin = _unary("sin", np.sin, lambda x: cos(x), x=uniform(2, 3))
cos = _unary("cos", np.cos, lambda x: -sin(x))
tan = _unary("tan", np.tan, lambda out: 1.0 + out * out)
arcsin = _unary("arcsin", np.arcsin, lambda x: 1.0 / sqrt(1.0 - x * x),
                x=uniform(3, lo=-0.8, hi=0.8))
arccos = _unary("arccos", np.arccos, lambda x: -1.0 / sqrt(1.0 - x * x),
                x=uniform(3, lo=-0.8, hi=0.8))
arctan = _unary("arctan", np.arctan, lambda x: 1.0 / (1.0 + x * x))
sinh = _unary("sinh", np.sinh, lambda x: cosh(x))
cosh = _unary("cosh", np.cosh, lambda x: sinh(x))
tanh = _unary("tanh", np.tanh, lambda out: 1.0 - out * out)
arcsinh = _unary("arcsinh", np.arcsinh, lambda x: 1.0 / sqrt(x * x + 1.0))
arccosh = _unary("arccosh", np.arccosh, lambda x: 1.0 / sqrt(x * x - 1.0),
                 x=uniform(3, lo=1.5, hi=3.0))
arctanh = _unary("arctanh", np.arctanh, lambda x: 1.0 / (1.0 - x * x),
                 x=uniform(3, lo=-0.8, hi=0.8))
arctan2 = _binary("arctan2", np.arctan2,  # arctan2(x1, x2) = angle of (x2, x1)
                  lambda x, y: y / (x * x + y * y), lambda x, y: -x / (x * x + y * y),
                  samples=[(uniform(2, 3), positive(3))])
hypot = _binary("hypot", np.hypot, lambda out, x: x / out, lambda out, y: y / out,
                samples=[(positive(2, 3), uniform(3))])

# --- piecewise -------------------------------------------------------------------------------
def absolute(x):
    """np.abs / np.absolute: of a real value (derivative sign(x)) or a complex one."""
    return complex_abs_p(x) if is_complex(x) else absolute_p(x)


absolute_p = declare("abs", np.abs, ("x",), diagonal=[lambda x: np.sign(_const(x))],
                     broadcasts=True, sparsity="elementwise-linear", numpy=("absolute", "abs"),
                     function=absolute, samples=[(values([-1.5, -0.5, 0.7, 2.0]),)])


def _unit(x, out):
    """x / |x|, and 0 where x == 0 (a subgradient, as sign(0) = 0 for real x)."""
    at_zero = _const(out) == 0
    return x / where(at_zero, 1.0, out) if np.any(at_zero) else x / out


def _complex_abs_jvp(t, x, out):
    # d|z| = Re(conj(z) t) / |z|: real-linear in t, not a product, so no diagonal partial
    return _C.real_p(_C.conj_p(_unit(x, out)) * t)


complex_abs_p = declare(
    "complex_abs", np.abs, ("x",), jvp=[_complex_abs_jvp], batched_jvp="same",
    # g Re(conj(u) t) = Re(g conj(u) t) for u = z/|z|: the cotangent is g conj(u)
    vjp=[lambda g, x, out: g * _C.conj_p(_unit(x, out))], sparsity="elementwise-nonlinear",
    samples=[through(lambda x, y: complex_abs_p(x + 1j * y), uniform(3), positive(3))],
    doc="|z| of a complex z")


def _greater_weight(x, y):
    """1 where x > y, 1/2 at ties, 0 elsewhere: a tie shares the derivative equally."""
    xv, yv = _const(x), _const(y)
    return (xv > yv) + 0.5 * (xv == yv)


_APART = [(values([1.0, -2.0, 3.0]), values([0.5, -1.0, 4.0]))]  # no ties: no kinks
maximum = _binary("maximum", np.maximum, lambda x, y: _greater_weight(x, y),
                  lambda x, y: _greater_weight(y, x), "elementwise-linear", samples=_APART)
minimum = _binary("minimum", np.minimum, lambda x, y: _greater_weight(y, x),
                  lambda x, y: _greater_weight(x, y), "elementwise-linear", samples=_APART)


_ONLY_CONDITION = object()


def where(condition, x=_ONLY_CONDITION, y=_ONLY_CONDITION):
    """np.where(condition, x, y): the derivative flows through the branch chosen.
    np.where(condition) alone is np.nonzero(condition) (indices: no derivative)."""
    if isinstance(condition, Tracer):
        condition = bottom(condition) != 0  # plain booleans; a staged mask under ad.jit
    if x is _ONLY_CONDITION and y is _ONLY_CONDITION:
        return np.nonzero(condition)
    if x is _ONLY_CONDITION or y is _ONLY_CONDITION:
        raise ValueError("either both or neither of x and y should be given")
    return where_p(condition if isinstance(condition, Tracer) else
                   np.asarray(condition, dtype=bool), x, y)


where_p = declare("where", np.where, ("condition", "x", "y"), broadcasts=True,
                  diagonal=[None, lambda condition: condition,
                            lambda condition: np.logical_not(condition)],
                  sparsity="elementwise-linear", numpy=("where",), function=where,
                  samples=[through(lambda x, y: where(np.array([True, False, True]), x, y),
                                   uniform(2, 3), uniform(3))],
                  doc="np.where with a boolean condition")


def _clip_inside(x, lo, hi):
    xv = _const(x)
    return (xv >= _const(lo)) & (xv <= _const(hi))


clip_p = declare("clip", np.clip, ("x", "lo", "hi"), broadcasts=True,
                 diagonal=[lambda x, lo, hi: _clip_inside(x, lo, hi),
                           lambda x, lo: _const(x) < _const(lo),
                           lambda x, hi: _const(x) > _const(hi)],
                 sparsity="elementwise-linear",
                 samples=[through(lambda x: clip(x, -0.5, 0.5), values([-0.9, -0.2, 0.3, 0.8])),
                          through(lambda x, lo: clip(x, lo, 2.0), values([-0.9, 0.3]),
                                  values([-0.5, 0.0]))])


def clip(x, a_min=None, a_max=None):
    """np.clip: derivative 1 inside [a_min, a_max] (bounds included), else to the bound."""
    if a_min is None and a_max is None:
        raise ValueError("One of max or min must be given")
    return clip_p(x, -np.inf if a_min is None else a_min, np.inf if a_max is None else a_max)
