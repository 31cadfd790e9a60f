"""NumPy's numerical helpers composed from primitives: NaN-aware extrema, sinc, nan_to_num,
finite differences (gradient), linspace with traced endpoints, select."""
import numpy as np

from ..core.tracer import Tracer, bottom
from ..primitives import elementwise as E, special
from ..primitives.shape import dtype_of, getitem, shape_of, normalize_axes
from .functions import _as_array, _ndim, concatenate, moveaxis
from .names import serves


@serves()
def fabs(x):
    """np.fabs: |x| (derivative sign(x), 0 at 0)."""
    return E.absolute(_as_array(x))


def _nan_aware(pick, x, y):
    """NumPy's fmax/fmin: a NaN loses to a number (the number's derivative is taken)."""
    x, y = _as_array(x), _as_array(y)
    xn, yn = np.isnan(bottom(x)), np.isnan(bottom(y))
    out = pick(x, y)
    if np.any(yn):
        out = E.where(yn, x, out)
    if np.any(xn):
        out = E.where(xn & ~yn, y, out)
    return out


@serves()
def fmax(x1, x2):
    """np.fmax: the maximum, ignoring NaNs (ties share the derivative, as np.maximum's)."""
    return _nan_aware(E.maximum, x1, x2)


@serves()
def fmin(x1, x2):
    """np.fmin: the minimum, ignoring NaNs."""
    return _nan_aware(E.minimum, x1, x2)


_SINC_SERIES = (1.0, -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880)  # in (pi x)^2
SINC_SERIES_BELOW = 0.01  # |x| below which the Taylor series is used (its error < 1e-20)


@serves()
def sinc(x):
    """np.sinc: sin(pi x) / (pi x), 1 at 0. Near 0 its Taylor series, so every derivative is
    exact there too (a guarded quotient would give 0 for the second derivative at 0, not
    -pi^2 / 3)."""
    x = _as_array(x)
    near = np.abs(bottom(x)) < SINC_SERIES_BELOW
    y = x * np.pi
    if not np.any(near):
        return E.sin(y) / y
    y2 = y * y
    series = _SINC_SERIES[-1]
    for c in _SINC_SERIES[-2::-1]:
        series = series * y2 + c
    if np.all(near):
        return series
    safe = E.where(near, 1.0, y)
    return E.where(near, series, E.sin(safe) / safe)


@serves()
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """np.nan_to_num: NaN and infinities replaced by constants (derivative 0 there, 1 elsewhere).
    copy has no effect on traced values (immutable)."""
    x = _as_array(x)
    v = bottom(x)  # the masks are staged under ad.jit (core.tracer.bottom)
    if not np.issubdtype(dtype_of(x), np.floating):
        return x
    info = np.finfo(dtype_of(x))
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = x
    infinite, negative = np.isinf(v), np.signbit(v)
    for mask, value in ((np.isnan(v), nan), (infinite & ~negative, posinf),
                        (infinite & negative, neginf)):
        if np.any(mask):
            out = E.where(mask, value, out)
    return out


@serves()
def gradient(f, *varargs, axis=None, edge_order=1):
    """np.gradient for uniform spacings (a scalar per axis): central differences inside,
    one-sided ones of `edge_order` (1 or 2) at the ends. Coordinate arrays are refused."""
    f = _as_array(f)
    nd = _ndim(f)
    axes = normalize_axes(axis, nd)
    if len(varargs) == 1:
        varargs = varargs * len(axes)
    elif not varargs:
        varargs = (1.0,) * len(axes)
    if len(varargs) != len(axes):
        raise TypeError("invalid number of arguments: one spacing, or one per axis")
    if any(isinstance(h, Tracer) or np.ndim(h) != 0 for h in varargs):
        raise NotImplementedError("autodiff.numpy.gradient takes constant scalar spacings; "
                                  "coordinate arrays are not supported")
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    out = [_gradient_along(f, a, float(h), edge_order) for a, h in zip(axes, varargs)]
    return out[0] if len(out) == 1 else out


def _gradient_along(f, axis, h, edge_order):
    n = shape_of(f)[axis]
    if n < edge_order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, at least "
                         "(edge_order + 1) elements are required.")
    g = moveaxis(f, axis, 0)
    at = lambda i, j=None: getitem(g, slice(i, j))
    inner = (at(2) - at(0, n - 2)) / (2.0 * h)
    if edge_order == 1:
        first, last = (at(1, 2) - at(0, 1)) / h, (at(n - 1) - at(n - 2, n - 1)) / h
    else:
        first = (-1.5 * at(0, 1) + 2.0 * at(1, 2) - 0.5 * at(2, 3)) / h
        last = (0.5 * at(n - 3, n - 2) - 2.0 * at(n - 2, n - 1) + 1.5 * at(n - 1)) / h
    return moveaxis(concatenate([first, inner, last], axis=0), 0, axis)


@serves()
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """np.linspace, differentiable in start and stop (arrays too: the new axis at `axis`)."""
    if not isinstance(start, Tracer) and not isinstance(stop, Tracer):
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis, device=device)
    if device not in (None, "cpu"):
        raise ValueError(f"linspace: device must be 'cpu' or None, got {device!r}")
    if dtype is not None and not np.issubdtype(np.dtype(dtype), np.floating):
        raise NotImplementedError("autodiff.numpy.linspace of traced endpoints with a "
                                  f"non-float dtype ({dtype}) would drop the derivative")
    num = int(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = (num - 1) if endpoint else num
    steps = np.arange(num, dtype=float) / (div if div > 0 else 1)
    start, stop = _as_array(start), _as_array(stop)
    lead = np.broadcast_shapes(shape_of(start), shape_of(stop))
    fractions = steps.reshape((num,) + (1,) * len(lead))
    out = start + (stop - start) * fractions
    if endpoint and num > 1:  # exactly stop at the end, as NumPy
        last = np.zeros((num,) + (1,) * len(lead), dtype=bool)
        last[-1] = True
        out = E.where(last, stop, out)
    out = moveaxis(out, 0, axis) if axis != 0 else out
    if retstep:
        return out, (stop - start) / div if div > 0 else np.nan
    return out


@serves()
def i0(x):
    """np.i0: the modified Bessel function of order 0 (scipy.special.i0's primitive)."""
    return special.i0(_as_array(x))


@serves()
def select(condlist, choicelist, default=0):
    """np.select: the first choice whose (constant) condition holds, else default."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    out = _as_array(default)
    for cond, choice in zip(reversed(condlist), reversed(choicelist)):
        cond = cond if isinstance(cond, Tracer) else np.asarray(cond, dtype=bool)
        out = E.where(cond, _as_array(choice), out)  # (a traced cond: staged under ad.jit)
    return out
