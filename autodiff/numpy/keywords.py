"""NumPy's keyword arguments on traced values. Every keyword NumPy accepts is either honoured
(dtype casts, where masks, initial values) or refused with an error naming the keyword and the
function -- never silently ignored when it would change a value:
- out= is refused: traced values are immutable, so there is nothing to write into;
- order= on array creation, casts and products, copy=, subok= and optimize= only concern memory
  layout, copies or speed, never values, so they are accepted and have no effect."""
import functools

import numpy as np

from ..core.tracer import Tracer, bottom
from ..primitives.shape import cast_p, dtype_of
from ..primitives import complex as C


class NotGiven:
    """The default of keywords whose absence NumPy distinguishes from any value."""

    def __repr__(self):
        return "<not given>"


NOT_GIVEN = NotGiven()


def refuse(fname, keyword, why):
    return TypeError(f"autodiff's np.{fname} does not support the keyword {keyword!r} on traced "
                     f"values: {why}")


def no_out(fname, out):
    """out= would write into an array in place; traced values are immutable."""
    if out is not None:
        raise refuse(fname, "out", "traced values are immutable, so results cannot be written "
                     "into an existing array. Use the returned value instead (`y = np." +
                     fname + "(...)`).")


def cast(a, dtype, fname="astype", casting="unsafe"):
    """a as `dtype`: floats and complex numbers keep a derivative (complex to float keeps the
    real part, as NumPy does), integers and bools are constants (no derivative). `casting` is NumPy's rule, checked as NumPy would."""
    if dtype is None:
        return a
    dtype = np.dtype(dtype)
    src = dtype_of(a)  # (its value is not read: ad.jit stages what follows)
    if casting != "unsafe" and not np.can_cast(src, dtype, casting):
        raise TypeError(f"np.{fname}: cannot cast from {src} to {dtype} according to the rule "
                        f"{casting!r}")
    if not isinstance(a, Tracer):
        return np.asarray(a, dtype=dtype)
    if dtype.kind not in "fc":
        return cast_p(bottom(a), dtype=dtype)  # integers and bools carry no derivative
    if src.kind == "c" and dtype.kind == "f":
        a = C.real(a)  # NumPy keeps the real part (with a ComplexWarning)
    return a if dtype == a.dtype else cast_p(a, dtype=dtype)


def mask(where, shape):
    """A where= argument as a constant boolean mask of `shape` (None for where=True)."""
    if where is True:
        return None
    where = bottom(where) != 0 if isinstance(where, Tracer) else np.asarray(where, dtype=bool)
    return np.broadcast_to(where, shape)  # (a traced mask: staged under ad.jit)


def ufunc_inputs(fname, inputs, kwargs):
    """The inputs of a ufunc call with its keywords applied (dtype casts them); keywords that
    would change values in a way a traced value cannot follow are refused."""
    dtype, casting = kwargs.pop("dtype", None), kwargs.pop("casting", "same_kind")
    no_out(fname, kwargs.pop("out", None))
    for layout in ("order", "subok"):
        kwargs.pop(layout, None)
    where = kwargs.pop("where", True)
    if where is not True:
        raise refuse(fname, "where", "without out=, NumPy leaves the entries where the mask is "
                     "False uninitialized. Use np.where(mask, np." + fname + "(...), other).")
    if kwargs:
        raise refuse(fname, sorted(kwargs)[0], "it is not supported for traced values")
    if dtype is not None:
        inputs = [x if x is None else cast(x, dtype, fname, casting) for x in inputs]
    return inputs


def ufunc_function(name, fn, as_array):
    """`fn` (differentiable, positional inputs only) as the namespace's np.<name>, taking
    NumPy's ufunc keywords and, through `as_array`, lists (of traced values too) as inputs; the
    bare `fn` stays reachable as `.differentiable`."""
    def ufunc(*inputs, **kwargs):
        if kwargs:
            inputs = ufunc_inputs(name, inputs, kwargs)
        return fn(*(as_array(x) for x in inputs))
    ufunc.__name__ = ufunc.__qualname__ = name
    ufunc.__doc__ = f"np.{name} on traced values (and NumPy's ufunc keywords)."
    ufunc.differentiable = fn
    return ufunc


def list_inputs(fn, as_array):
    """A function of arrays only (a primitive's, such as np.where) taking, through `as_array`,
    lists (of traced values too) as NumPy does."""
    @functools.wraps(fn)
    def reading_lists(*inputs):
        return fn(*(as_array(x) for x in inputs))
    return reading_lists
