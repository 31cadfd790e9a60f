"""Elementwise primitives. Their Jacobians are diagonal, so each has one partial-derivative rule
per argument, `t * d out / d arg`, serving as both JVP and VJP (see `defdiagonal`). Arguments
broadcast against each other; the traces lift tangents and sum cotangents accordingly."""
import numpy as np

from ..core.primitive import primitive, defdiagonal
from ..core.tracer import Tracer, primal
from .shape import lift_to_rank

F = "elementwise"
_LN2, _LN10 = np.log(2.0), np.log(10.0)


def _unary(name, impl, partial):
    prim = primitive(name, impl, F, broadcasts=True)
    defdiagonal(prim, partial)
    return prim


def _binary(name, impl, partial_x, partial_y):
    prim = primitive(name, impl, F, broadcasts=True)
    defdiagonal(prim, partial_x, partial_y)
    return prim


def _const(x):
    """A piecewise-constant factor (a mask) computed on the innermost values."""
    return primal(x)


# --- arithmetic ------------------------------------------------------------------------------
add = _binary("add", np.add, lambda t, out, x, y: t, lambda t, out, x, y: t)
subtract = _binary("subtract", np.subtract, lambda t, out, x, y: t, lambda t, out, x, y: -t)


def _subtract_jvp(tangents, out, x, y):
    """t_x - t_y in one pass (the per-argument rules would negate t_y, then add)."""
    (tx, ty), rank = tangents, len(out.shape)
    if ty is None:
        return lift_to_rank(tx, len(x.shape), rank)
    ty = lift_to_rank(ty, len(y.shape), rank)
    return -ty if tx is None else lift_to_rank(tx, len(x.shape), rank) - ty


subtract.jvp_all = _subtract_jvp

multiply = _binary("multiply", np.multiply, lambda t, out, x, y: t * y, lambda t, out, x, y: t * x)
divide = _binary("divide", np.true_divide,
                 lambda t, out, x, y: t / y, lambda t, out, x, y: -t * out / y)
negative = _unary("negative", np.negative, lambda t, out, x: -t)
reciprocal = _unary("reciprocal", lambda x: np.reciprocal(np.asarray(x, dtype=np.result_type(x, 1.0))),
                    lambda t, out, x: -t * out * out)


def _scaled_product(c, t, x):
    """c * t * x with the constant c applied to a plain array rather than to a dual number
    where there is the choice: one array pass instead of two (forward-over-reverse)."""
    if isinstance(t, Tracer) and not isinstance(x, Tracer):
        return t * (c * x)
    return (c * t) * x


square = _unary("square", np.square, lambda t, out, x: _scaled_product(2.0, t, x))


def _pow_partial_x(t, out, x, y):
    """d/dx x**y = y x**(y-1), which is 0 where y == 0 (x**0 is the constant 1) even at x = 0,
    where the formula reads 0 * inf."""
    if not isinstance(y, Tracer):  # a constant exponent: the usual case
        if np.ndim(y) == 0:
            if y == 0:
                return t * 0.0
            if y == 1:
                return t
            if y == 2:
                return _scaled_product(2.0, t, x)
        y = np.asarray(y)
        # y * x**1 is 0 where y == 0, and so are its derivatives (the exponent is constant)
        return t * (y * power(x, np.where(y == 0, 1, y - 1)))
    at_zero = (_const(x) == 0) & (_const(y) == 0)
    if not np.any(at_zero):
        return t * y * power(x, y - 1)
    # a traced exponent: where x == y == 0 the partial is 0 (x**0 == 1 for every x), taken on
    # safe inputs so that no 0 * inf reaches any order; elsewhere the formula keeps its exact
    # derivative in y (x**(y-1) + y x**(y-1) log x, which a mask on y alone would lose)
    safe = y * power(where(at_zero, 1.0, x), y - 1)
    return t * where(at_zero, 0.0, safe)


def _pow_partial_y(t, out, x, y):
    """d/dy x**y = x**y log x: 0 at x == 0 (0 * log 0, the usual convention: 0**y is 0 for
    every y > 0), NaN where x < 0 (x**y is not real for non-integer y, so there is no
    derivative in y)."""
    xv = _const(x)
    log_x = log(where(xv > 0, x, 1.0))
    if np.any(xv < 0):
        log_x = log_x * np.where(xv < 0, np.nan, 1.0)
    return t * out * log_x


def _power_impl(x, y):
    if type(y) is int and y == 2:
        return np.square(x)  # as NumPy's own `x ** 2`: np.power(x, 2) takes ~1.7x as long
    return np.power(x, y)


power = _binary("power", _power_impl, _pow_partial_x, _pow_partial_y)

# --- exponentials and logarithms -------------------------------------------------------------
exp = _unary("exp", np.exp, lambda t, out, x: t * out)
expm1 = _unary("expm1", np.expm1, lambda t, out, x: t * (out + 1.0))
exp2 = _unary("exp2", np.exp2, lambda t, out, x: t * out * _LN2)
log = _unary("log", np.log, lambda t, out, x: t / x)
log1p = _unary("log1p", np.log1p, lambda t, out, x: t / (x + 1.0))
log2 = _unary("log2", np.log2, lambda t, out, x: t / (x * _LN2))
log10 = _unary("log10", np.log10, lambda t, out, x: t / (x * _LN10))
sqrt = _unary("sqrt", np.sqrt, lambda t, out, x: t * 0.5 / out)
cbrt = _unary("cbrt", np.cbrt, lambda t, out, x: t / (3.0 * out * out))
logaddexp = _binary("logaddexp", np.logaddexp,
                    lambda t, out, x, y: t * exp(x - out), lambda t, out, x, y: t * exp(y - out))

# --- trigonometric and hyperbolic ------------------------------------------------------------
sin = _unary("sin", np.sin, lambda t, out, x: t * cos(x))
cos = _unary("cos", np.cos, lambda t, out, x: -t * sin(x))
tan = _unary("tan", np.tan, lambda t, out, x: t * (1.0 + out * out))
arcsin = _unary("arcsin", np.arcsin, lambda t, out, x: t / sqrt(1.0 - x * x))
arccos = _unary("arccos", np.arccos, lambda t, out, x: -t / sqrt(1.0 - x * x))
arctan = _unary("arctan", np.arctan, lambda t, out, x: t / (1.0 + x * x))
sinh = _unary("sinh", np.sinh, lambda t, out, x: t * cosh(x))
cosh = _unary("cosh", np.cosh, lambda t, out, x: t * sinh(x))
tanh = _unary("tanh", np.tanh, lambda t, out, x: t * (1.0 - out * out))
arcsinh = _unary("arcsinh", np.arcsinh, lambda t, out, x: t / sqrt(x * x + 1.0))
arccosh = _unary("arccosh", np.arccosh, lambda t, out, x: t / sqrt(x * x - 1.0))
arctanh = _unary("arctanh", np.arctanh, lambda t, out, x: t / (1.0 - x * x))
arctan2 = _binary("arctan2", np.arctan2,
                  lambda t, out, y, x: t * x / (x * x + y * y),
                  lambda t, out, y, x: -t * y / (x * x + y * y))
hypot = _binary("hypot", np.hypot, lambda t, out, x, y: t * x / out, lambda t, out, x, y: t * y / out)

# --- piecewise -------------------------------------------------------------------------------
absolute = _unary("abs", np.abs, lambda t, out, x: t * np.sign(_const(x)))


def _greater_weight(x, y):
    """1 where x > y, 1/2 at ties, 0 elsewhere: a tie shares the derivative equally."""
    xv, yv = _const(x), _const(y)
    return (xv > yv) + 0.5 * (xv == yv)


maximum = _binary("maximum", np.maximum,
                  lambda t, out, x, y: t * _greater_weight(x, y),
                  lambda t, out, x, y: t * _greater_weight(y, x))
minimum = _binary("minimum", np.minimum,
                  lambda t, out, x, y: t * _greater_weight(y, x),
                  lambda t, out, x, y: t * _greater_weight(x, y))


def _where_partial(pick):
    return lambda t, out, c, x, y: where_p(c if pick else np.logical_not(c), t, 0.0)


where_p = primitive("where", np.where, F, broadcasts=True)
defdiagonal(where_p, None, _where_partial(True), _where_partial(False))


_ONLY_CONDITION = object()


def where(condition, x=_ONLY_CONDITION, y=_ONLY_CONDITION):
    """np.where(condition, x, y): the derivative flows through the branch chosen.
    np.where(condition) alone is np.nonzero(condition) (indices: no derivative)."""
    if isinstance(condition, Tracer):
        condition = primal(condition) != 0
    if x is _ONLY_CONDITION and y is _ONLY_CONDITION:
        return np.nonzero(condition)
    if x is _ONLY_CONDITION or y is _ONLY_CONDITION:
        raise ValueError("either both or neither of x and y should be given")
    return where_p(np.asarray(condition, dtype=bool), x, y)


def _clip_inside(x, lo, hi):
    xv = _const(x)
    return (xv >= _const(lo)) & (xv <= _const(hi))


clip_p = primitive("clip", np.clip, F, broadcasts=True)
defdiagonal(clip_p,
            lambda t, out, x, lo, hi: t * _clip_inside(x, lo, hi),
            lambda t, out, x, lo, hi: t * (_const(x) < _const(lo)),
            lambda t, out, x, lo, hi: t * (_const(x) > _const(hi)))


def clip(x, a_min=None, a_max=None):
    """np.clip: derivative 1 inside [a_min, a_max] (bounds included), else to the bound."""
    if a_min is None and a_max is None:
        raise ValueError("One of max or min must be given")
    return clip_p(x, -np.inf if a_min is None else a_min, np.inf if a_max is None else a_max)
