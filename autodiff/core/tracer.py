"""Tracers and `bind`: how one primitive call finds the derivative level that must handle it.

Every derivative invocation (one call of grad, jvp, hvp, ...) creates a fresh `Trace` with a
level higher than any before it, and wraps its inputs in tracers tagged with that trace. A
primitive applied to tracers is handed to the trace of highest level among its arguments; tracers
of lower levels are mere constants to it. Inner levels therefore never see, nor mix up, the
perturbations of outer ones (no perturbation confusion), and there is no global mutable state
besides the level counter, so threads never share a tape.
"""
import itertools

import numpy as np

_next_level = itertools.count(1).__next__

BUILD_INSTEAD = (
    "build the array from the traced values instead: np.stack([...]) or autodiff.numpy.array"
    "([...]) for entries, np.concatenate for blocks, np.where(mask, x, buf) to replace some "
    "entries of a constant buf. Use autodiff.stop_gradient(x) if a constant is intended.")


class Trace:
    """One derivative invocation. Subclasses define `process(prim, args, params)`."""

    __slots__ = ("level", "__weakref__")

    def __init__(self):
        self.level = _next_level()

    def process_kept(self, prim, args, params):
        """As process, for a result that a reverse-mode tape keeps: a trace may defer work on
        it until it is needed (forward mode defers the tangent)."""
        return self.process(prim, args, params)


class Operations:
    """What a traced value's operators, methods and NumPy protocols do: the NumPy layer
    (autodiff/numpy/dispatch.py) fills this table, the core knows no array functions of its
    own. Operators backed by one primitive hold the primitive (add, subtract, multiply, divide,
    power, negative); the rest hold functions. Array methods (x.sum()) are set on the tracer
    class by `define_methods`.

    Plain attributes, no __getattr__ (on this table or on Tracer): Python specializes attribute
    reads only on classes without one, and operators read this table at every operation."""

    NAMES = ("add", "subtract", "multiply", "divide", "power", "negative", "absolute", "real",
             "imag", "matmul", "mod", "getitem", "transpose", "matrix_transpose", "at",
             "array_ufunc", "array_function", "as_array")

    def __init__(self):
        for name in self.NAMES:
            setattr(self, name, _NotImported(name))

    def define_methods(self, methods):
        """Array methods of traced values (x.sum(), x.reshape(...)): functions taking the value
        first, set on the tracer class."""
        for name, fn in methods.items():
            setattr(Tracer, name, fn)


class _NotImported:
    """An entry of `ops` before the NumPy layer filled it: any use names the problem."""

    def __init__(self, name):
        self.name = name

    def _fail(self, *args, **kwargs):
        raise NotImplementedError(f"traced values do not support {self.name!r} yet: the NumPy "
                                  "layer (autodiff.numpy) was not imported")

    __call__ = _fail

    def __getattr__(self, attr):  # read as a primitive (its impl, its rules)
        self._fail()


ops = Operations()


class Tracer:
    """A value being differentiated: `value` is its primal (an array or a lower-level tracer).
    Its operators and methods delegate to the table `ops`."""

    __slots__ = ("_trace", "value")
    __array_priority__ = 1000.0
    stages_values = False  # True for ad.jit's staging tracers: see `bottom`
    __hash__ = None

    @property
    def shape(self):
        return self.value.shape

    @property
    def ndim(self):
        return len(self.value.shape)

    @property
    def size(self):
        return int(np.prod(self.value.shape))

    @property
    def dtype(self):
        return self.value.dtype

    def __len__(self):
        shape = self.value.shape
        if not shape:
            raise TypeError("len() of a 0-d traced value")
        return shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self):
        raise TypeError(
            "A traced value was used as a Python bool (e.g. `if x:` or `while x:`), which "
            "would silently drop its derivative. Compare explicitly (`if x > 0:` gives a "
            "plain boolean), or use autodiff.numpy.where for a differentiable choice.")

    def _no_conversion(self, kind):
        # NumPy calls float(x) to store a traced scalar into a float array (`buf[0] = x[0]`),
        # and then reports 'setting an array element with a sequence', with this as its cause.
        raise TypeError(
            f"{kind}() of a traced value would drop its derivative. NumPy calls it when storing "
            "a traced value into a NumPy array (`buf[i] = x`; NumPy may then report 'setting an "
            "array element with a sequence'): NumPy arrays hold plain numbers only. To "
            + BUILD_INSTEAD)

    def __float__(self):
        self._no_conversion("float")

    def __int__(self):
        self._no_conversion("int")

    def __complex__(self):
        self._no_conversion("complex")

    def __index__(self):
        self._no_conversion("operator.index")

    def __array__(self, dtype=None, copy=None):
        # np.asarray, a NumPy function autodiff does not know, or `buf[:2] = x`
        raise TypeError(
            "A traced value was converted to a plain NumPy array, which would drop its "
            "derivative: np.asarray/np.array of it, a NumPy function autodiff does not know, or "
            "storing a traced value into a NumPy array (`buf[i] = x`, `buf[:k] = x`: NumPy "
            "arrays hold plain numbers only). To " + BUILD_INSTEAD)

    def __repr__(self):
        return f"{type(self).__name__}(level={self._trace.level}, value={self.value!r})"

    # --- operators and methods, by the table the NumPy layer fills ---------------------------
    def __add__(self, other):
        if type(other) in _SEQUENCES:
            other = ops.as_array(other)
        return bind(ops.add, self, other)

    def __radd__(self, other):
        if type(other) in _SEQUENCES:
            other = ops.as_array(other)
        return bind(ops.add, other, self)

    def __sub__(self, other):
        if type(other) in _SEQUENCES:
            other = ops.as_array(other)
        return bind(ops.subtract, self, other)

    def __rsub__(self, other):
        if type(other) in _SEQUENCES:
            other = ops.as_array(other)
        return bind(ops.subtract, other, self)

    def __mul__(self, other):
        if type(other) in _SEQUENCES:
            other = ops.as_array(other)
        return bind(ops.multiply, self, other)

    def __rmul__(self, other):
        if type(other) in _SEQUENCES:
            other = ops.as_array(other)
        return bind(ops.multiply, other, self)

    def __truediv__(self, other):
        if type(other) in _SEQUENCES:
            other = ops.as_array(other)
        return bind(ops.divide, self, other)

    def __rtruediv__(self, other):
        if type(other) in _SEQUENCES:
            other = ops.as_array(other)
        return bind(ops.divide, other, self)

    def __pow__(self, other):
        if type(other) in _SEQUENCES:
            other = ops.as_array(other)
        return bind(ops.power, self, other)

    def __rpow__(self, other):
        if type(other) in _SEQUENCES:
            other = ops.as_array(other)
        return bind(ops.power, other, self)

    def __neg__(self):
        return bind(ops.negative, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.absolute(self)  # a function: |x| of a real or of a complex value

    def __matmul__(self, other):
        return ops.matmul(self, _operand(other))

    def __rmatmul__(self, other):
        return ops.matmul(_operand(other), self)

    def __mod__(self, other):
        return ops.mod(self, _operand(other))

    def __rmod__(self, other):
        return ops.mod(_operand(other), self)

    def __floordiv__(self, other):  # piecewise constant: no derivative
        return np.floor_divide(primal(self), primal(other))

    def __rfloordiv__(self, other):
        return np.floor_divide(primal(other), primal(self))

    def __lt__(self, other):  # comparisons give plain booleans
        return np.less(bottom(self), bottom(other))

    def __le__(self, other):
        return np.less_equal(bottom(self), bottom(other))

    def __gt__(self, other):
        return np.greater(bottom(self), bottom(other))

    def __ge__(self, other):
        return np.greater_equal(bottom(self), bottom(other))

    def __eq__(self, other):
        return np.equal(bottom(self), bottom(other))

    def __ne__(self, other):
        return np.not_equal(bottom(self), bottom(other))

    def __getitem__(self, index):
        return ops.getitem(self, index)

    def __setitem__(self, index, value):
        raise TypeError("traced values are immutable: `x[i] = v` is not supported. Build the new "
                        "array instead, e.g. with autodiff.numpy.where, concatenate or stack.")

    @property
    def T(self):
        return ops.transpose(self)

    @property
    def mT(self):
        return ops.matrix_transpose(self)

    @property
    def real(self):
        return ops.real(self)

    @property
    def imag(self):
        return ops.imag(self)

    @property
    def at(self):
        """Functional index updates, as JAX's: x.at[idx].set(v), .add(v), ..."""
        return ops.at(self)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return ops.array_ufunc(ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return ops.array_function(func, types, args, kwargs)


_SEQUENCES = (list, tuple)  # operands read as NumPy reads them (tested inline: the hot path)


def _operand(x):
    """The other operand of an operator, a list or tuple (`x * [y, z]`) read as NumPy reads it,
    keeping the traced values it holds (ops.as_array); anything else as it is. (The arithmetic
    operators make the same test inline: they run at every operation.)"""
    return ops.as_array(x) if type(x) in _SEQUENCES else x


def primal(x):
    """The innermost raw value of `x`: all tracer levels stripped (a constant)."""
    while isinstance(x, Tracer):
        x = x.value
    return x


def bottom(x):
    """`x` for a piecewise-constant decision (a comparison, a mask): its derivative levels
    stripped, like `primal`, but stopping at a tracer that stages values (ad.jit's), which then
    records the decision instead of exposing its value to Python."""
    while isinstance(x, Tracer) and not x.stages_values:
        x = x.value
    return x


def bind(prim, *args, **params):
    """Apply a primitive: to its NumPy impl if no argument is traced, else to the top trace."""
    top = None
    for a in args:
        if isinstance(a, Tracer):
            t = a._trace
            if top is None or t.level > top.level:
                top = t
    if top is None:
        return prim.impl(*args, **params)
    return top.process(prim, args, params)


def not_numeric(v):
    """Whether a value a derivative rule reads is not an array of numbers (an object array's
    sum is a Python float; so is a primitive of one's own returning float(x)): the rules read
    .shape and .dtype, and would fail deep inside (checked only once one has failed)."""
    return not hasattr(v, "shape") or getattr(v, "dtype", None) == object


def not_numeric_error(who, verb, v):
    """The TypeError for not_numeric(v): `who` `verb` (gave, got) it."""
    what = "an array of dtype object" if hasattr(v, "shape") else f"a {type(v).__name__}"
    return TypeError(f"{who} {verb} {what}, not an array of numbers, so its derivative cannot "
                     "be taken: autodiff differentiates numeric arrays (an operand of dtype "
                     "object? convert it with .astype(float); a primitive of your own must "
                     "return an array)")
