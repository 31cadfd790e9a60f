"""`ad.jit`: record what a function does once per input structure, replay it on plain arrays.

The recording is a trace level like the others, the outermost one: the function's inputs are
`Staged` tracers of a `StagingTrace`, so every primitive any transform inside applies ends up,
level by level, at the staging level, which computes it at once (the recording call returns real
results) and appends it to a program. A replay runs the program's NumPy implementations on
plain arrays, in order, as one generated Python function: no tracers, no tape, no dual numbers.

What is not a primitive must not change between calls, so every way Python can see a staged
value is watched:
  * comparisons and masks (`x > 0`, `np.sign(x)`, `np.any(m)`, the masks of abs/maximum/...)
    are recorded like primitives (see `core.tracer.bottom`);
  * a *read* of a staged value by Python (`if x[0] > 0:`, `bool`, `int`, `np.asarray`, the
    library's `primal`) of a boolean or integer value becomes a **guard**: the replay recomputes
    that value and, if it differs by a single bit, the call is recorded again (one recording per
    outcome, a few per input structure);
  * a read of a floating value cannot be guarded usefully (it changes at every point): such a
    function is not staged, and every call of it runs the function itself.
So a jitted call returns exactly what the function returns, or runs the function.

The first replays (INTERPRETED_REPLAYS) run the recorded steps one by one, as they are: optimizing
and compiling a long program costs several times what a call of the function does (Python's
compile() alone ~10 us a step), which a program replayed once or twice would never earn back.
Before its next replay a program is optimized (`Program._optimize`): dead code removed, repeated
computations merged, x ** 2 as np.square, elementwise chains on large arrays fused
(staging_fusion.py, the `fusion` switch), slices as plain indexing, and each elementwise step
writing into an argument's buffer that nothing reads later (`_reusable`). Everything but fusion
leaves the bits unchanged.
"""
import functools
import itertools
import operator as _operator
import sys
import threading
from typing import Any, Callable, List, Optional, Sequence
from collections import OrderedDict, namedtuple

import numpy as np

from .core.tracer import Tracer, Trace, bind, bottom, ops
from .core.shortcuts import state as _shortcuts, NAMES as _SHORTCUTS
from .pytree import flatten, unflatten
from .numpy.nondiff import STAGED_FUNCTIONS, STAGED_UFUNCS
from . import staging_fusion

RECORDINGS_PER_STRUCTURE = 8  # guard outcomes kept per input structure (least recent dropped)
STRUCTURES = 32  # input structures kept per jitted function (the oldest dropped)
RERECORDS_BEFORE_GIVING_UP = 32  # guard misses per structure after which it runs unstaged
INTERPRETED_REPLAYS = 2  # replays run from the recording before it is optimized and compiled
_switches = _operator.attrgetter(*_SHORTCUTS)  # the shortcuts' state as a tuple, in one call

class Staged(Tracer):
    """A value of a recording: `ref` is its slot in the program. Its value is read only
    through the `value` property, which tells the trace (a guard, or no staging)."""

    # shape and dtype are kept, not computed at each read: the rules read them at most steps
    __slots__ = ("_value", "ref", "shape", "dtype")
    stages_values = True

    def __init__(self, trace, value, ref):
        self._trace, self._value, self.ref = trace, value, ref
        self.shape, self.dtype = _shape_dtype(value)

    @property
    def value(self):
        self._trace.read(self)
        return self._value

    # shapes and dtypes are fixed per recording: reading them is free
    ndim = property(lambda self: np.ndim(self._value))
    size = property(lambda self: int(np.size(self._value)))

    @property
    def flags(self):
        """The memory layout (fixed per recording, as the inputs' layouts are part of the key)."""
        return np.asarray(self._value).flags

    @property
    def holds_array(self):
        """An ndarray (not a NumPy scalar): the reverse sweep may add into it in place."""
        return type(self._value) is np.ndarray

    def __len__(self):
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d traced value")
        return shape[0]

    def __repr__(self):
        return f"Staged(ref={self.ref}, shape={self.shape}, dtype={self.dtype})"

    # Python reading the value: what a plain array would do, with the read noted
    def __bool__(self):
        return bool(self.value)

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __index__(self):
        return self.value.__index__()

    def __complex__(self):
        return complex(self.value)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.value, dtype=dtype)

    # the logical operators of masks (NumPy's bitwise ufuncs: staged above)
    def __and__(self, other):
        return np.bitwise_and(self, other)

    def __rand__(self, other):
        return np.bitwise_and(other, self)

    def __or__(self, other):
        return np.bitwise_or(self, other)

    def __ror__(self, other):
        return np.bitwise_or(other, self)

    def __xor__(self, other):
        return np.bitwise_xor(self, other)

    def __rxor__(self, other):
        return np.bitwise_xor(other, self)

    def __invert__(self):
        return np.invert(self)

    # NumPy functions without a derivative (numpy/nondiff.py) hand staged values here: those
    # of STAGED_UFUNCS / STAGED_FUNCTIONS are recorded, anything else reads the values
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc.__name__ in STAGED_UFUNCS:
            if method == "__call__" and not kwargs:
                staged = self._trace.stage(ufunc, inputs, {})
                if staged is not None:
                    return staged
            return getattr(ufunc, method)(*map(_read, inputs), **kwargs)
        return ops.array_ufunc(ufunc, method, *inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ in STAGED_FUNCTIONS and func is getattr(np, func.__name__):
            if "out" not in kwargs:
                staged = self._trace.stage(func, args, kwargs)
                if staged is not None:
                    return staged
            return func(*map(_read, args), **{k: _read(v) for k, v in kwargs.items()})
        return ops.array_function(func, types, args, kwargs)


def _shape_dtype(v):
    if type(v) is np.ndarray or isinstance(v, np.generic):
        return v.shape, v.dtype
    return np.shape(v), np.result_type(v)


def _read(x):
    """A staged value as a plain one, the read noted (also inside lists and tuples)."""
    if type(x) is Staged:
        return x.value
    if isinstance(x, (list, tuple)):
        return type(x)(_read(v) for v in x)
    return x


class _Frozen:
    """A constant of the program (anything not staged), snapshotted when first used."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _snapshot(v):
    """A copy of a writeable array (the recording must not see later changes to it)."""
    if type(v) is dict and not v:  # most steps' parameters
        return v
    if type(v) is np.ndarray and v.flags.writeable:
        return np.array(v, copy=True, order="K")
    if type(v) is tuple:
        return tuple(_snapshot(x) for x in v)
    if type(v) is list:
        return [_snapshot(x) for x in v]
    if type(v) is dict:
        return {k: _snapshot(x) for k, x in v.items()}
    return v


def _where():
    """' at file:line' of the code reading a staged value (autodiff's own, then the caller's
    line that led there)."""
    frame, seen = sys._getframe(2), []
    while frame is not None and len(seen) < 2:
        name = frame.f_globals.get("__name__", "")
        library = name.split(".")[0] in ("autodiff", "numpy")
        if name not in (__name__, "autodiff.core.tracer") and (not seen or not library):
            seen.append(f"{frame.f_code.co_filename}:{frame.f_lineno}")
        frame = frame.f_back
    return " at " + ", called from ".join(seen) if seen else ""


def _libc_memcmp():
    """C's memcmp (None where ctypes cannot find it): compares two buffers without the
    temporary array of NumPy's comparison, at the memory's speed."""
    try:
        import ctypes
        memcmp = ctypes.CDLL(None).memcmp
        memcmp.restype, memcmp.argtypes = ctypes.c_int, (ctypes.c_void_p,) * 2 + (ctypes.c_size_t,)
        return memcmp
    except (OSError, AttributeError, TypeError):
        return None


_memcmp = _libc_memcmp()


def _identical(a, b):
    """Same shape, dtype and bits (0.0 and -0.0 differ, NaNs of one kind agree)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if _memcmp is not None and a.strides == b.strides and not a.dtype.hasobject and (
            a.flags.c_contiguous or a.flags.f_contiguous):  # one block of memory each
        return _memcmp(a.ctypes.data, b.ctypes.data, a.nbytes) == 0
    bits = f"u{a.dtype.itemsize}"
    if a.dtype.itemsize in (1, 2, 4, 8) and a.flags.c_contiguous and b.flags.c_contiguous:
        return np.array_equal(a.view(bits), b.view(bits))  # one pass over the bits
    if a.dtype.itemsize in (1, 2, 4, 8) and a.flags.f_contiguous and b.flags.f_contiguous:
        return np.array_equal(a.T.view(bits), b.T.view(bits))  # a transposed matrix
    if a.dtype.kind in "fc":
        return np.array_equal(a, b, equal_nan=True) and \
            np.array_equal(np.signbit(a.real), np.signbit(b.real)) and \
            np.array_equal(np.signbit(a.imag), np.signbit(b.imag))
    return np.array_equal(a, b)


class StagingTrace(Trace):
    """The recording of one call: `steps` are (impl, params, argument refs or _Frozen, output
    ref); `guards` maps a ref to the value Python read of it; `unstageable` says why the
    recording must not be replayed (None: it may)."""

    __slots__ = ("steps", "guards", "unstageable", "count", "meta", "_frozen", "_roots")

    def __init__(self):
        super().__init__()
        self.steps, self.guards, self.unstageable = [], {}, None
        self.count = itertools.count().__next__
        self.meta = {}  # ref -> _meta of its array (what the optimizer may assume of it)
        self._frozen = {}  # id of a constant -> (it, its _Frozen)
        self._roots = {}  # id of an array whose views are constants -> (it, its snapshot)

    def input(self, value):
        ref = self.count()
        if type(value) is np.ndarray:
            self.meta[ref] = _meta(value)
        return Staged(self, value, ref)

    def read(self, x):
        """Python is reading a staged value: guard it (exact booleans and integers), or give
        up staging (floats: a guard would fail at every new point)."""
        v = x._value
        if isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "biu":
            if x.ref not in self.guards:
                self.guards[x.ref] = np.array(v, copy=True)
        elif self.unstageable is None:
            self.unstageable = f"the function reads a value of dtype {np.result_type(v)} " \
                f"(a floating value used by Python, e.g. float(x) or np.asarray(x)){_where()}"

    def _arg(self, a):
        """(value for the computation, reference for the program) of one argument; None if it
        is a tracer of another trace (a value closed over from an enclosing transform)."""
        if type(a) is Staged:
            if a._trace is self:
                return a._value, a.ref
            return None
        if isinstance(a, Tracer):
            return None
        frozen = self._frozen.get(id(a))
        if frozen is None or frozen[0] is not a or (
                type(a) is np.ndarray and not _identical(frozen[1].value, a)):
            frozen = (a, _Frozen(self._snapshot_view(a) if type(a) is np.ndarray else
                                 _snapshot(a)))  # keeps `a` alive: its id is not reused
            self._frozen[id(a)] = frozen
        return a, frozen[1]

    def _snapshot_view(self, a):
        """A copy of array `a` as it is now. The views of one array (X, X.T, X[:, 0], ...)
        share one copy of it: the same view of the copy, after checking that its bits are
        still those of `a` (the function may have written into the array meanwhile)."""
        root = a if a.base is None else a.base
        if type(root) is not np.ndarray or not a.flags.writeable or not (
                root.flags.c_contiguous or root.flags.f_contiguous):
            return _snapshot(a)
        known = self._roots.get(id(root))
        if known is not None and known[0] is root:
            view = np.ndarray(a.shape, a.dtype, buffer=known[1],
                              offset=a.ctypes.data - root.ctypes.data, strides=a.strides)
            if _identical(view, a):
                return view
        copy = np.array(root, copy=True, order="K")
        if copy.strides != root.strides:
            return _snapshot(a)
        copy.flags.writeable = False
        self._roots[id(root)] = (root, copy)  # keeps root alive: its id is not reused
        return np.ndarray(a.shape, a.dtype, buffer=copy,
                          offset=a.ctypes.data - root.ctypes.data, strides=a.strides)

    def process(self, prim, args, params):
        values, refs = [], []
        for a in args:
            if type(a) is Staged and a._trace is self:  # the common case, inlined
                values.append(a._value)
                refs.append(a.ref)
                continue
            got = self._arg(a)
            if got is None:
                return self._foreign(prim, args, params)
            values.append(got[0])
            refs.append(got[1])
        impl = prim.impl
        if params:
            return self._record(impl, params, refs, impl(*values, **params))
        scalar = SCALAR_OPERATORS.get(impl)
        if scalar is not None:
            first, last = type(values[0]), type(values[-1])
            if (first is _FLOAT64 or last is _FLOAT64) and first in _SCALARS and \
                    last in _SCALARS:
                out = scalar(*values)  # NumPy's scalar arithmetic: the same bits, 8x faster
            else:
                out = impl(*values)
        else:
            out = impl(*values)
        # _record, inlined (once per step of the program: the recording's hot path)
        ref = self.count()
        self.steps.append((impl, params, refs, ref))
        if type(out) is np.ndarray:
            self.meta[ref] = (True, out.shape, out.dtype, out.flags.c_contiguous)  # _meta
        staged = _new(Staged)
        staged._trace, staged._value, staged.ref = self, out, ref
        if type(out) is np.ndarray or type(out) is _FLOAT64:
            staged.shape, staged.dtype = out.shape, out.dtype
        else:
            staged.shape, staged.dtype = _shape_dtype(out)
        return staged

    def _record(self, impl, params, refs, out):
        ref = self.count()
        self.steps.append((impl, _snapshot(params) if params else params, refs, ref))
        if type(out) is np.ndarray:
            self.meta[ref] = _meta(out)
        return Staged(self, out, ref)

    def _foreign(self, prim, args, params):
        """A primitive on a traced value of another trace: handed down as bind does, and the
        recording is not replayed (that value would be frozen)."""
        self.unstageable = "the function uses a traced value it did not receive as an argument"
        values = [a._value if type(a) is Staged and a._trace is self else a for a in args]
        return Staged(self, bind(prim, *values, **params), self.count())

    def in_place(self, fn, buffer, args, params):
        """fn(buffer, *args, **params), which adds into buffer in place (None: a new buffer):
        the reverse sweep's accumulation (core/accumulate.py), recorded as a step of its own so
        that a replay adds in the same order as the plain computation. A staged buffer is
        re-pointed at the step's output: the sweep knows its buffers by identity."""
        values, refs = [], []
        for a in (buffer,) + tuple(args):
            if isinstance(a, Tracer) and not (type(a) is Staged and a._trace is self):
                a = bottom(a)  # a tape's value, read for its shape only: its innermost value
            got = self._arg(a)
            if got is None:
                self.unstageable = "the function uses a traced value it did not receive as " \
                    "an argument"
                return fn(buffer, *args, **params)
            values.append(got[0])
            refs.append(got[1])
        out = fn(*values, **params)
        ref = self.count()
        self.steps.append((_InPlace(fn), _snapshot(params), refs, ref))
        if type(out) is np.ndarray:
            self.meta[ref] = _meta(out)
        if type(buffer) is Staged:
            buffer._value, buffer.ref = out, ref
            buffer.shape, buffer.dtype = _shape_dtype(out)
            return buffer
        return Staged(self, out, ref)

    def stage(self, fn, args, kwargs):
        """Record a NumPy function without a derivative (a comparison, a mask, an argmax) on
        staged values; None if an argument is not one this trace can record."""
        values, refs = [], []
        for a in args:
            got = self._arg(a) if not isinstance(a, (list, tuple)) else None
            if got is None:
                return None
            values.append(got[0])
            refs.append(got[1])
        for v in kwargs.values():
            if isinstance(v, Tracer):
                return None
        return self._record(fn, kwargs, refs, fn(*values, **kwargs))


def _meta(v):
    """(True, shape, dtype, C-contiguous) of a recorded ndarray (values that are not arrays
    have none): fixed per recording, as the inputs' shapes, dtypes and layouts are part of
    its key."""
    return True, v.shape, v.dtype, v.flags.c_contiguous


class Step(namedtuple("Step", "impl params refs ref")):
    """One step of a program: out[ref] = impl(*args(refs), **params); an argument ref is an
    int (a value of the program) or a constant (`.value`). `label` names it for people."""

    __slots__ = ()

    @property
    def label(self):
        return staging_fusion.step_name(self.impl)


class _InPlace:
    """A step that writes into its first argument (a buffer of the reverse sweep). The
    program hands it its buffer only if nothing else reads that value, else a copy."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    @property
    def label(self):
        return staging_fusion.step_name(self.fn) + " (in place)"


class _Miss(Exception):
    """A guard of the replay differs from the recording."""


def _same(value, recorded):
    return np.shape(value) == recorded.shape and np.result_type(value) == recorded.dtype \
        and np.array_equal(value, recorded)


# ufuncs replayed as Python operators: the same NumPy loop for arrays, and NumPy's faster
# scalar arithmetic (the same IEEE operation, bit for bit) for the scalars of a scalar chain
OPERATORS = {np.add: "{} + {}", np.subtract: "{} - {}", np.multiply: "{} * {}",
             np.true_divide: "{} / {}", np.negative: "-{}"}
PLAIN_CONSTANTS = (np.ndarray, np.generic, float, int, bool)
_SCALARS = (np.float64, float)
_FLOAT64 = np.float64
_new = object.__new__
SCALAR_OPERATORS = {np.add: _operator.add, np.subtract: _operator.sub, np.multiply: _operator.mul,
                    np.true_divide: _operator.truediv, np.negative: _operator.neg}


def _hashable(v):
    """v as a hashable key that tells types apart (1, 1.0 and True index differently); slices
    (unhashable before Python 3.12) as tuples. TypeError if v has no such form."""
    if type(v) in (tuple, list):
        return (type(v).__name__,) + tuple(_hashable(x) for x in v)
    if type(v) is slice:
        return ("slice", _hashable(v.start), _hashable(v.stop), _hashable(v.step))
    if isinstance(v, (float, complex, np.inexact)):
        return type(v).__name__, repr(v)  # 0.0 and -0.0 are equal but not the same parameter
    hash(v)
    return type(v).__name__, v


def _params_key(params):
    """A hashable form of a step's parameters, or None (then the step is never merged)."""
    if not params:  # most steps
        return ()
    try:
        return tuple(sorted((k, _hashable(v)) for k, v in params.items()))
    except TypeError:
        return None


class Program:
    """A recording made replayable: interpreted step by step at its first replays, then the
    steps the outputs and guards need (dead code eliminated, common subexpressions merged),
    as straight-line Python on plain arrays, compiled at the next replay (or when `steps`,
    `outputs` or `source` are first read)."""

    def __init__(self, trace, n_inputs, out_tree, out_leaves):
        self.guards = dict(trace.guards)
        self.out_tree, self.n_inputs = out_tree, n_inputs
        self._leaf = out_tree.kind == "leaf"
        self.recorded_steps = len(trace.steps)
        outs = [x.ref if type(x) is Staged else _Frozen(_snapshot(x)) for x in out_leaves]
        self._recording = (trace.steps, outs)
        self._meta = trace.meta
        self.fused = _shortcuts.fusion  # part of the recording's key: fixed per program
        self._steps = self._outs = self._run = self._source = self._plan = None
        self.merged = {}  # after optimizing: {a merged step's ref: the ref replacing it} (ad.viz)
        self.replays = 0  # replays so far (the first INTERPRETED_REPLAYS are interpreted)
        self._lock = threading.Lock()

    def _prepare(self):
        """Optimize and compile (after the interpreted replays: the recording call pays only
        for recording)."""
        with self._lock:
            if self._run is None:
                self._optimize()

    def _optimize(self):
        steps, outs = self._recording
        steps, alias = self._merge(steps)
        self.merged = alias
        outs = [alias.get(r, r) if type(r) is int else r for r in outs]
        live = {r for r in outs if type(r) is int} | set(self.guards)
        kept = []
        for step in reversed(steps):  # dead code elimination
            if step[3] in live:
                kept.append(step)
                live.update(r for r in step[2] if type(r) is int)
        kept.reverse()
        kept = [_simplified(step) for step in kept]
        if self.fused:  # (numba is imported only where there is something to fuse)
            keep = {r for r in outs if type(r) is int} | set(self.guards)
            kept = staging_fusion.fuse(kept, self._meta, keep, self.n_inputs,
                                       replays=max(self.replays - 1, 0))
        self._steps, self._outs = kept, outs
        self._compile()
        self._recording = self._plan = None  # (after _run is set: a replay interpreting it
        # meanwhile, in another thread, holds its own references)

    @property
    def compiled(self):
        """Whether replays run the optimized, compiled program (False: the first replays,
        interpreted from the recording)."""
        return self._run is not None

    @property
    def steps(self):
        """The steps a replay runs: `Step`s (function, parameters, argument refs, output ref;
        `label` names each, fused steps as fused(subtract, multiply, ...))."""
        if self._run is None:
            self._prepare()
        return self._steps

    @property
    def outputs(self):
        """What a replay returns: step refs (ints), or constants (`.value`)."""
        if self._run is None:
            self._prepare()
        return self._outs

    @property
    def source(self):
        """The Python a replay runs."""
        if self._run is None:
            self._prepare()
        return self._source

    def _merge(self, steps):
        """(steps with repeated computations merged, {dropped ref: the ref that replaces it})."""
        seen, alias, merged = {}, {}, []
        for impl, params, refs, ref in steps:
            if alias:
                refs = [alias.get(r, r) if type(r) is int else r for r in refs]
            pkey = _params_key(params)
            key = None if pkey is None or ref in self.guards or type(impl) is _InPlace else \
                (impl, pkey, tuple(r if type(r) is int else ("c", id(r)) for r in refs))
            if key is not None and key in seen:
                alias[ref] = seen[key]
                continue
            if key is not None:
                seen[key] = ref
            merged.append(Step(impl, params, refs, ref))
        # a guard on a merged value guards the value that replaced it
        self.guards = {alias.get(r, r): g for r, g in self.guards.items()}
        return merged, alias

    def _compile(self):
        steps, outs, n_inputs = self._steps, self._outs, self.n_inputs
        env = {"_same": _same, "_Miss": _Miss, "_copy": np.copy, "_zeros": np.zeros}
        env.update((f"_{t.name}", t) for t in map(np.dtype, "?bhilqBHILQefdgFDG"))
        last_use, uses, scalars = {}, {}, set()
        for k, (impl, _, refs, ref) in enumerate(steps):
            for r in refs:
                if type(r) is int:
                    last_use[r] = k
                    uses[r] = uses.get(r, 0) + 1
            if type(impl) is np.ufunc and ref not in self._meta:
                scalars.add(ref)  # a NumPy scalar at the recording, so at every replay
        keep = {r for r in outs if type(r) is int} | set(self.guards)
        kept_to_the_end = keep | scalars
        owned = _owned_buffers(steps, self._meta, n_inputs)
        names = {}

        def name_of(r):
            if type(r) is int:
                return f"v{r}"
            if id(r) not in names:
                names[id(r)] = f"c{len(names)}"
                env[names[id(r)]] = r.value
            return names[id(r)]

        lines = [f"def replay({', '.join(f'v{i}' for i in range(n_inputs))}):"]
        for r in self.guards:
            if r < n_inputs:
                env[f"g{r}"] = self.guards[r]
                lines.append(f"    if not _same(v{r}, g{r}): raise _Miss")
        for k, (impl, params, refs, ref) in enumerate(steps):
            args = [name_of(r) for r in refs]
            if type(impl) is _InPlace:
                buffer = refs[0]
                if type(buffer) is not int or buffer < n_inputs or uses[buffer] > 1 or \
                        buffer in keep:
                    # the buffer is read elsewhere too (or is an input, or a constant): a copy
                    # takes the writes, so the order of the additions is the same
                    args[0] = f"_copy({args[0]})" if type(buffer) is int or \
                        type(buffer.value) is np.ndarray else args[0]
                impl = impl.fn
            inline = _indexing(impl, params, refs, args, ref, self._meta)
            if inline is not None:  # x[index] and buffer[index] += g as Python writes them
                env[f"i{k}"] = inline[0]
                lines += [f"    {line.format(index=f'i{k}')}" for line in inline[1]]
                impl = None
            reuse = None if impl is None else \
                _reusable(impl, params, refs, ref, k, self._meta, owned, last_use, keep)
            operator = OPERATORS.get(impl) if not params and reuse is None and all(
                type(r) is int or isinstance(r.value, PLAIN_CONSTANTS) for r in refs) else None
            if impl is None:
                pass
            elif operator is not None and operator.count("{}") == len(args):
                lines.append(f"    v{ref} = " + operator.format(*args))
            else:
                env[f"f{k}"] = impl
                if params:
                    env[f"p{k}"] = params
                    args.append(f"**p{k}")
                if reuse is not None:  # writes into an argument's buffer nothing reads later
                    args.append(f"out=v{reuse}")
                lines.append(f"    v{ref} = f{k}({', '.join(args)})" + (
                    f"  # {impl.label}: {impl.expression}"
                    if type(impl) is staging_fusion.Fused else ""))
            if ref in self.guards:
                env[f"g{ref}"] = self.guards[ref]
                lines.append(f"    if not _same(v{ref}, g{ref}): raise _Miss")
            dead = sorted({f"v{r}" for r in refs if type(r) is int and last_use.get(r) == k
                           and r not in kept_to_the_end})
            if dead:  # frees each intermediate array as soon as nothing reads it (scalars
                # wait for the return: a line per scalar step made compile() ~40% slower)
                lines.append(f"    del {', '.join(dead)}")
        results = []
        for r in outs:
            if type(r) is int:
                results.append(f"v{r}")
            else:
                name = name_of(r)
                results.append(f"_copy({name})" if type(r.value) is np.ndarray else name)
        lines.append(f"    return [{', '.join(results)}]")
        self._source = "\n".join(lines)
        exec(compile(self._source, "<ad.jit program>", "exec"), env)
        self._run, self._meta = env["replay"], None

    def __call__(self, leaves):
        run = self._run
        if run is None:
            self.replays += 1
            if self.replays <= INTERPRETED_REPLAYS:
                run = self._interpret
            else:
                self._prepare()
                run = self._run
        if self._leaf:
            return run(*leaves)[0]
        return unflatten(self.out_tree, run(*leaves))

    def _interpret(self, *leaves):
        """The replay, run straight from the recording, step by step: what the compiled
        program computes, bit for bit (the optimizations change no bit; fused steps run
        unfused at their first calls anyway), without paying for optimizing and compiling
        a program that may be replayed only once or twice."""
        recording, plan = self._recording, self._plan
        if recording is None:  # compiled meanwhile (another thread)
            return self._run(*leaves)
        steps, outs = recording
        if plan is None:
            plan = self._plan = _interpretation(steps, outs, self.guards, self.n_inputs)
        frees, copies, constants = plan
        guards = self.guards
        env = dict(enumerate(leaves))
        for r in guards:
            if r < self.n_inputs and not _same(env[r], guards[r]):
                raise _Miss
        env.update(constants)  # each constant (a _Frozen) stands for its value
        value = env.__getitem__
        for k, (impl, params, refs, ref) in enumerate(steps):
            if type(impl) is _InPlace:
                args = list(map(value, refs))
                if k in copies:
                    args[0] = np.copy(args[0])
                env[ref] = impl.fn(*args, **params)
            else:
                env[ref] = impl(*map(value, refs), **params)
            if ref in guards and not _same(env[ref], guards[ref]):
                raise _Miss
            if k in frees:  # frees each intermediate value as soon as nothing reads it
                for r in frees[k]:
                    del env[r]
        return [env[r] if type(r) is int else
                np.copy(r.value) if type(r.value) is np.ndarray else r.value for r in outs]


def _interpretation(steps, outs, guards, n_inputs):
    """({step index: the values read for the last time there}, {indexes of the in-place
    steps that write into a copy of their buffer}, [(each constant, its value)]) for
    `Program._interpret`, by the compiled
    program's rule: a copy when the buffer is an input, a constant array, or a value read
    elsewhere too, returned or guarded. One quick pass: its cost is part of the first replay."""
    last_use, in_place = {}, []
    for k, (impl, _, refs, ref) in enumerate(steps):
        for r in refs:
            last_use[r] = k
        last_use[ref] = k  # (a value nothing reads, dead code, goes at once)
        if type(impl) is _InPlace:
            in_place.append(k)
    keep = {r for r in outs if type(r) is int} | set(guards)
    frees, constants = {}, []
    for r, k in last_use.items():
        if type(r) is not int:
            constants.append((r, r.value))
        elif r not in keep:
            frees.setdefault(k, []).append(r)
    copies = set()
    if in_place:
        buffers = {steps[k][2][0] for k in in_place}
        uses = dict.fromkeys(buffers, 0)
        for _, _, refs, _ in steps:
            for r in refs:
                if r in uses:
                    uses[r] += 1
        for k in in_place:
            buffer = steps[k][2][0]
            if type(buffer) is int and (buffer < n_inputs or uses[buffer] > 1 or
                                        buffer in keep) or \
                    type(buffer) is not int and type(buffer.value) is np.ndarray:
                copies.add(k)
    return frees, copies, constants


def _simplified(step):
    """The step as a plainer one computing the same bits: x ** 2 as np.square(x) (what the
    power primitive's impl runs), so that it is an elementwise step like the others."""
    impl, params, refs, ref = step
    if getattr(impl, "__name__", "") == "_power_impl" and len(refs) == 2 and \
            type(refs[1]) is not int and type(refs[1].value) is int and refs[1].value == 2:
        return Step(np.square, {}, refs[:1], ref)
    return step


_INDEXING = ("_getitem_impl", "_getitem_accumulate")


def _indexing(impl, params, refs, args, ref, meta):
    """(index, lines) doing a getitem step, or a slice cotangent's addition into its buffer,
    as plain indexing (what the primitive's impl itself runs, without its call and checks);
    None for other steps, and for batched indexes that move axes or add at repeated ones."""
    if getattr(impl, "__name__", None) not in _INDEXING:  # most steps (before the import)
        return None
    from .primitives import shape
    if impl is shape._getitem_impl:
        index, move = shape._batched(params["index"], params["lead"])
        return None if move else (index, [f"v{ref} = {args[0]}[{{index}}]"])
    if impl is shape._getitem_accumulate and type(refs[2]) is not int:
        batch = refs[2].value
        index, move = shape._batched(params["index"], params["lead"] + len(batch))
        if move or any(shape._is_array_index(i) for i in params["index"]):
            return None
        if type(refs[0]) is int:
            return index, [f"v{ref} = {args[0]}", f"v{ref}[{{index}}] += {args[1]}"]
        g, x = refs[1], refs[3]
        g_meta = meta.get(g) if type(g) is int else None
        x_shape = meta[x][1] if type(x) is int and x in meta else \
            np.shape(x.value) if type(x) is not int else None
        if refs[0].value is not None or g_meta is None or x_shape is None:
            return None
        return index, [f"v{ref} = _zeros({batch + x_shape!r}, _{g_meta[2].name})",
                       f"v{ref}[{{index}}] = {args[1]}"]
    return None


def _writes_fresh(impl, params):
    """Whether a step's output is always a new array (a ufunc's, a fused step's), never a
    view of an argument or an array anyone else holds."""
    return (type(impl) is np.ufunc and impl.nout == 1 and not params) or \
        type(impl) is staging_fusion.Fused


def _owned_buffers(steps, meta, n_inputs):
    """The values whose arrays only the program holds and only elementwise steps read: an
    elementwise step may write into one of them once nothing reads it later. A value read by
    any other step is left alone (that step may return a view of it, or keep it)."""
    owned = {ref for impl, params, _, ref in steps
             if ref >= n_inputs and _writes_fresh(impl, params) and ref in meta
             and meta[ref][3]}
    for impl, params, refs, _ in steps:
        if not _writes_fresh(impl, params):
            owned.difference_update(r for r in refs if type(r) is int)
    return owned


def _reusable(impl, params, refs, ref, k, meta, owned, last_use, keep):
    """The argument whose buffer step k may write its result into (None: a new array): an
    owned array read last here, not returned or guarded, of the output's shape and dtype."""
    if not _writes_fresh(impl, params) or ref not in meta:
        return None
    for r in refs:
        if type(r) is int and r in owned and last_use.get(r) == k and r not in keep and \
                meta[r][1:] == meta[ref][1:]:
            return r
    return None


def _structure_key(tree):
    kind, meta = tree.kind, tree.meta
    try:
        hash(meta)
    except TypeError:
        meta = repr(meta)
    return kind, meta, tuple(_structure_key(c) for c in tree.children)


def _key_of(args):
    """The key __call__ computes for these arguments."""
    if all(type(x) is np.ndarray and x.dtype.kind in "biufc" for x in args):
        return (len(args), tuple([(x.shape, x.dtype, x.strides) for x in args]),
                _switches(_shortcuts))
    leaves, tree = flatten(args)
    return _key(tree, _numbers_as_arrays(leaves))


def _numbers_as_arrays(leaves):
    """Python and NumPy scalars as 0-d arrays, as JAX takes them: staged like any array (a
    Python int that drives a loop becomes a guard), the recording keyed by their dtype."""
    return [np.asarray(x) if isinstance(x, (int, float, complex, np.number, np.bool_))
            else x for x in leaves]


def _key(tree, leaves):
    """A recording's key: the input structure, shapes, dtypes and memory layouts (NumPy's
    loops, and so the last bit of a sum, can depend on strides), and the speed shortcuts'
    switches (they choose how a derivative is computed)."""
    return (_structure_key(tree),
            tuple((x.shape, x.dtype, x.strides) if type(x) is np.ndarray else
                  (np.shape(x), np.result_type(x)) for x in leaves),
            _switches(_shortcuts))


class _Entry:
    """What is known of one input structure: its programs (one per guard outcome), or that
    it is not staged."""

    __slots__ = ("programs", "misses", "unstaged")

    def __init__(self):
        self.programs, self.misses, self.unstaged = [], 0, None


class Jitted:
    """A function recorded once per input structure and replayed (see the module)."""

    def __init__(self, fun):
        self.fun = fun
        self._entries = OrderedDict()
        self._lock = threading.Lock()
        functools.update_wrapper(self, fun)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError("ad.jit: keyword arguments are not supported (pass them "
                            "positionally, or bind them with functools.partial)")
        for x in args:
            if type(x) is not np.ndarray or x.dtype.kind not in "biufc":
                flat = False
                break
        else:
            flat = True
        leaves: Sequence[Any]
        if flat:  # arrays only, the common case: no pytree to flatten
            leaves, tree = args, None
            key = (len(args), tuple([(x.shape, x.dtype, x.strides) for x in args]),
                   _switches(_shortcuts))
        else:
            leaves, tree = flatten(args)
            if any(isinstance(x, Tracer) for x in leaves):
                return self.fun(*args)  # inside a transform or a recording: the identity
            leaves = _numbers_as_arrays(leaves)
            for i, x in enumerate(leaves):
                if type(x) is not np.ndarray or x.dtype.kind not in "biufc":
                    raise TypeError(
                        f"ad.jit: argument leaf {i} is a {type(x).__name__}"
                        + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else "")
                        + "; a jitted function takes NumPy arrays of numbers (pass "
                        "np.asarray(x); values that are not arrays can be bound with "
                        "functools.partial)")
            key = _key(tree, leaves)
        entry = self._entries.get(key)
        if entry is None:
            with self._lock:
                entry = self._entries.get(key)
                if entry is None:
                    entry = self._entries[key] = _Entry()
                    if len(self._entries) > STRUCTURES:  # the oldest structure goes
                        self._entries.popitem(last=False)
        if entry.unstaged is not None:
            return self.fun(*args)
        for program in list(entry.programs):
            try:
                return program(leaves)
            except _Miss:
                continue
            except Exception:  # noqa: BLE001  (an error the function itself may handle)
                break  # fun runs again: its own result, or its own error
        return self._record(entry, args, leaves, tree)

    def _record(self, entry, args, leaves, tree):
        trace = StagingTrace()
        staged = [trace.input(x) for x in leaves]
        out = self.fun(*(staged if tree is None else unflatten(tree, staged)))
        out_leaves, out_tree = flatten(out)
        for x in out_leaves:
            if isinstance(x, Tracer) and not (type(x) is Staged and x._trace is trace):
                trace.unstageable = "the function returns a traced value of another trace"
        result = unflatten(out_tree, [x._value if type(x) is Staged else x for x in out_leaves])
        if entry.programs:
            entry.misses += 1
        if trace.unstageable is not None or entry.misses > RERECORDS_BEFORE_GIVING_UP:
            entry.unstaged = trace.unstageable or "its guards kept changing"
            entry.programs = []
            return result
        entry.programs.insert(0, Program(trace, len(leaves), out_tree, out_leaves))
        del entry.programs[RECORDINGS_PER_STRUCTURE:]
        return result

    def programs(self, *args: Any) -> List["Program"]:
        """The programs recorded for the structure of `args` (newest first), for inspection:
        each has `source` (the replayed Python), `steps` and `guards`; `[]` if not staged."""
        entry = self._entries.get(_key_of(args))
        return [] if entry is None else list(entry.programs)

    def unstaged_reason(self, *args: Any) -> Optional[str]:
        """Why calls with the structure of `args` run the function itself (None: staged)."""
        entry = self._entries.get(_key_of(args))
        return None if entry is None else entry.unstaged


def jit(fun: Callable[..., Any]) -> "Jitted":
    """Record `fun` once per input structure (pytree, shapes, dtypes) and replay the
    recording at later calls: `ad.jit(ad.grad(f))`, `ad.jit(ad.hessian(f))`,
    `ad.jit(lambda x, v: ad.hvp(f, x, v))`. Arguments are NumPy arrays or scalars (in pytrees); results
    equal fun's own, bit for bit. Python side effects of fun happen only while recording, and
    arrays fun reads from outside its arguments are frozen at recording. See docs/jit.md."""
    if not callable(fun):
        raise TypeError(f"ad.jit: expected a function, got {type(fun).__name__}")
    return Jitted(fun)
