"""Custom derivatives of your own functions: `custom_jvp` and `custom_vjp`, with JAX's names and
signatures (exported by `autodiff.extend`).

    @custom_jvp
    def softplus(x):
        return np.logaddexp(0.0, x)

    @softplus.defjvp
    def softplus_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        y = softplus(x)
        return y, t * np.exp(x - y)

Each decorated function is a primitive of its own (core/primitive.py): its impl runs the function
on plain arrays, its rules are the user's. custom_jvp: the JVP is the user's f_jvp (one tangent
at a time: a batch of tangents goes slice by slice), the VJP is the transpose of f_jvp, i.e.
autodiff's own reverse mode of `ts -> f_jvp(primals, ts)[1]` (right because a JVP is linear in
the tangents). custom_vjp: the VJP is bwd on the residuals of fwd; forward mode differentiates
the function itself (see `custom_vjp`). Both rules are ordinary differentiable code on traced
values, so every order and nesting follows (hvp, hessian, grad of grad).

The primitives are not put in the registry: it holds named, reusable operations, and these are
anonymous (a decorated function is known by identity, so it can never collide with a user's
primitive name, and decorating in a loop leaves nothing behind once the functions are dropped).

Supported: positional (or keyword, when they map onto positional parameters) arguments that are
arrays, numbers or pytrees (dicts, lists, tuples) of them; the output is one array or a pytree of
floating arrays (ravelled into one vector for the primitive, which has one output, and cut back
apart by slicing: see `_Layout`). Arguments of any other kind (a callable, a string, a shape) are declared with `nondiff_argnums`; they must not be
traced. Values the function closes over (instead of taking them as arguments) are
differentiated through its code and its rules' code, like any code. Hessian sparsity: a custom
function is taken to couple all its inputs (its derivative is whatever its rules say, which
tracing index sets cannot see), a superset of the true pattern.
"""
import functools
import inspect
import numbers
from typing import Any, Callable, Optional, Sequence, Tuple, TypeVar

import numpy as np

from .core.forward import Dual, JVPTrace
from .core.primitive import Primitive
from .core.tracer import Tracer, primal
from .primitives.shape import dtype_of, shape_of
from .pytree import flatten, tree_map, unflatten

__all__ = ["custom_jvp", "custom_vjp"]

RuleT = TypeVar("RuleT", bound=Callable[..., Any])  # defjvp gives back the rule it decorates


class _Custom:
    """What custom_jvp and custom_vjp share: calling with argument checks, and the primitive."""

    kind: Optional[str] = None
    _impl: Callable[..., Any]  # each kind's evaluation, JVP and rule check (below)
    _jvp: Callable[..., Any]
    _require_rule: Callable[[], None]

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()) -> None:
        if not callable(fun):
            raise TypeError(f"{self.kind} decorates a function, got {fun!r}")
        nums = tuple(nondiff_argnums)
        if any(not isinstance(i, numbers.Integral) or isinstance(i, bool) or i < 0 for i in nums) \
                or len(set(nums)) != len(nums):
            raise TypeError(f"{self.kind}: nondiff_argnums must be distinct non-negative ints, "
                            f"got {nondiff_argnums!r}")
        functools.update_wrapper(self, fun)
        self.fun, self.nondiff_argnums = fun, tuple(sorted(nums))
        self.name = getattr(fun, "__qualname__", None) or repr(fun)
        try:
            self._signature: Optional[inspect.Signature] = inspect.signature(fun)
        except (TypeError, ValueError):
            self._signature = None
        self.prim = Primitive(f"{self.kind}({self.name})", self._impl, self._jvp, self._vjp,
                              args=("*xs",), sparsity="dense", doc=fun.__doc__)

    def __repr__(self) -> str:
        return f"<{self.kind} function {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = self._positional(args, kwargs)
        for i in self.nondiff_argnums:
            if i >= len(args):
                raise TypeError(f"{self.kind} function {self.name}: nondiff_argnums names "
                                f"argument {i}, but it was called with {len(args)} arguments")
            if any(isinstance(leaf, Tracer) for leaf in flatten(args[i])[0]):
                raise TypeError(f"{self.kind} function {self.name}: argument {i} is declared in "
                                "nondiff_argnums but is being differentiated; pass it as an "
                                "ordinary argument (its rule then gives its derivative)")
        diff = tuple(a for i, a in enumerate(args) if i not in self.nondiff_argnums)
        leaves, treedef = flatten(diff)
        if not any(isinstance(leaf, Tracer) for leaf in leaves):
            return self.fun(*args)  # nothing is differentiated: the function itself
        for leaf in leaves:
            if not isinstance(leaf, (Tracer, np.ndarray, np.generic, numbers.Number)):
                raise TypeError(f"{self.kind} function {self.name}: arguments must be arrays, "
                                f"numbers or pytrees of them, got {type(leaf).__name__} "
                                f"{leaf!r}; declare other arguments with nondiff_argnums")
        self._require_rule()
        call = _Call(self, args, treedef)
        return self._unpack(call, self.prim(*leaves, call=call))

    def _positional(self, args, kwargs):
        """The arguments as positional ones (keywords bound by the function's signature)."""
        if not kwargs:
            return args
        try:
            bound = self._signature.bind(*args, **kwargs)
        except (AttributeError, TypeError) as e:
            raise TypeError(f"{self.kind} function {self.name}: keyword arguments must name "
                            f"its positional parameters ({e})") from None
        bound.apply_defaults()
        if bound.kwargs:
            raise TypeError(f"{self.kind} function {self.name}: keyword-only arguments "
                            f"{sorted(bound.kwargs)} are not supported; pass arguments "
                            "positionally (nondiff_argnums for non-array ones)")
        return bound.args

    def _output(self, out, what):
        """A function's output as an array: one array (or number)."""
        if isinstance(out, (Tracer, np.ndarray)):
            return out
        if isinstance(out, (np.generic, numbers.Number)) and not isinstance(out, bool):
            return np.asarray(out)
        raise TypeError(f"{self.kind} function {self.name}: {what} must be an array or a pytree "
                        f"of arrays, got {type(out).__name__}")

    def _pack(self, call, out, what):
        """An output (the function's, or a rule's) as the primitive's one array, in the layout
        of the function's output at this call (fixed by its first evaluation)."""
        if call.layout is _UNSET:  # the first evaluation: the function's own output
            call.layout = None if _is_single(out) else _Layout(self, out, what)
        if call.layout is None:
            if not _is_single(out):
                raise TypeError(f"{self.kind} function {self.name}: {what} is a "
                                f"{type(out).__name__}, but the function returns one array")
            return self._output(out, what)
        return call.layout.pack(out, what)

    def _unpack(self, call, flat):
        """The primitive's array as the function's output (a pytree cut back apart)."""
        return flat if call.layout is None else call.layout.unpack(flat)

    def _tangent_zero(self, value):
        v = primal(value)
        dtype = np.result_type(v)
        return np.zeros(shape_of(v), dtype=dtype if dtype.kind in "fc" else float)

    def _vjp(self, argnum, g, out, values, params):
        """The cotangent of argument argnum. The rule gives all of them at once: they are
        computed on the first request of a sweep (for this g) and handed out one by one."""
        call = params["call"]
        cts = call.cts
        # the same sweep asks again (for another argument) with the same g and the same
        # recorded values (another level, or a vjp function called again, misses)
        if cts is None or call.g is not g or call.values is not values or \
                cts[argnum] is _HANDED_OUT:
            full = g
            if shape_of(g) != shape_of(out):  # compact (uniform along unit axes): expand it
                full = g * np.ones(shape_of(out), dtype=np.result_type(dtype_of(out)))
            cts = list(self._cotangents(call, full, out, values))
            call.g, call.values, call.cts = g, values, cts
        c = cts[argnum]
        cts[argnum] = _HANDED_OUT
        if all(x is None or x is _HANDED_OUT for x in cts):  # let go of them
            call.g = call.values = call.cts = None
        return c


_HANDED_OUT = object()  # a cotangent the sweep has taken
_UNSET = object()  # a call's output layout before the function first ran


def _is_single(out):
    return isinstance(out, (Tracer, np.ndarray, np.generic, numbers.Number))


class _Layout:
    """A pytree output ravelled into one vector: the primitive has one output, so a function
    returning `(y, aux)` or a dict is computed as the concatenation of its leaves and cut back
    apart by slices (primitives, so derivatives flow through the cut). Leaves are floating
    (real or complex); a real leaf of a vector made complex by a complex leaf is taken back as
    its real part."""

    __slots__ = ("custom", "treedef", "shapes", "sizes", "complex_leaves")

    def __init__(self, custom, out, what):
        self.custom = custom
        leaves, self.treedef = flatten(out)
        if not leaves:
            raise TypeError(f"{custom.kind} function {custom.name}: {what} has no arrays")
        arrays = [self._leaf(x, what) for x in leaves]
        self.shapes = [shape_of(a) for a in arrays]
        self.sizes = [int(np.prod(s, dtype=int)) for s in self.shapes]
        self.complex_leaves = [np.result_type(dtype_of(a)).kind == "c" for a in arrays]

    def _leaf(self, x, what):
        if isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, (bool, np.bool_)):
            x = np.asarray(x, dtype=complex if np.iscomplexobj(x) else float)
        if not isinstance(x, (Tracer, np.ndarray)) or \
                np.result_type(dtype_of(x)).kind not in "fc":
            got = type(x).__name__ if not isinstance(x, (Tracer, np.ndarray)) else \
                f"an array of dtype {np.result_type(dtype_of(x))}"
            raise TypeError(f"{self.custom.kind} function {self.custom.name}: {what} must be a "
                            f"pytree of floating arrays (it is ravelled into one vector), got "
                            f"{got}; return integer results from a separate function")
        return x

    def pack(self, out, what):
        """The leaves of out (of this layout; None leaves are zeros) as one vector."""
        from .numpy import concatenate, ravel
        leaves, treedef = flatten(out)
        if treedef != self.treedef:
            raise ValueError(f"{self.custom.kind} function {self.custom.name}: {what} has the "
                             f"structure {treedef}, the function's output {self.treedef}")
        parts = []
        for x, shape in zip(leaves, self.shapes):
            x = np.zeros(shape) if x is None else self._leaf(x, what)
            if shape_of(x) != shape:
                raise ValueError(f"{self.custom.kind} function {self.custom.name}: {what} has "
                                 f"a leaf of shape {shape_of(x)} where the function's output "
                                 f"has shape {shape}")
            parts.append(ravel(x))
        return concatenate(parts)

    def unpack(self, flat):
        """The pytree whose leaves were ravelled into flat (traced or plain)."""
        from .primitives import complex as complex_parts
        from .primitives.shape import reshape
        is_complex = np.result_type(dtype_of(flat)).kind == "c"
        leaves, start = [], 0
        for shape, size, leaf_complex in zip(self.shapes, self.sizes, self.complex_leaves):
            piece = reshape(flat[start:start + size], shape)
            if is_complex and not leaf_complex:
                piece = complex_parts.real(piece)
            leaves.append(piece)
            start += size
        return unflatten(self.treedef, leaves)


class _Call:
    """One call of a custom function (the primitive's only parameter): its non-differentiated
    arguments and the structure of the others; its output's layout; the cotangents of the
    current sweep (for its g and recorded values); for custom_vjp, the residuals fwd gave on
    the plain values."""

    __slots__ = ("custom", "args", "treedef", "layout", "g", "values", "cts", "residuals",
                 "residual_values")

    def __init__(self, custom, args, treedef):
        self.custom, self.args, self.treedef = custom, args, treedef
        self.layout = _UNSET
        self.g = self.values = self.cts = self.residuals = self.residual_values = None

    def rebuild(self, leaves):
        """The function's arguments, with these leaves for the differentiated ones."""
        diff = iter(unflatten(self.treedef, leaves))
        nondiff = self.custom.nondiff_argnums
        return tuple(a if i in nondiff else next(diff) for i, a in enumerate(self.args))

    def static(self):
        return tuple(self.args[i] for i in self.custom.nondiff_argnums)

    def split(self, leaves):
        """(the non-differentiated arguments, the differentiated ones as a tuple)."""
        return self.static(), tuple(unflatten(self.treedef, leaves))


class custom_jvp(_Custom):
    """A function with its own JVP rule, as JAX's `jax.custom_jvp`.

        @custom_jvp                      # or functools.partial(custom_jvp, nondiff_argnums=(0,))
        def f(x, y): ...
        @f.defjvp
        def f_jvp(primals, tangents):    # f_jvp(*nondiff_args, primals, tangents) with nondiff
            x, y = primals; tx, ty = tangents
            return f(x, y), <tangent of the output, linear in tx, ty>

    f_jvp is given every tangent (zeros for the arguments not differentiated) and must return
    f's value (checked) and the output's tangent, of its shape. Reverse mode transposes f_jvp:
    autodiff differentiates `tangents -> f_jvp(primals, tangents)[1]` in reverse, which is
    right only if that is linear in the tangents, as a JVP is (a rule giving a nonzero tangent
    for zero tangents is refused; check_grads compares forward and reverse mode). f_jvp is
    ordinary differentiable code, so hvp, hessian and nested derivatives differentiate it."""

    kind = "custom_jvp"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()) -> None:
        super().__init__(fun, nondiff_argnums)
        self.jvp_rule: Optional[Callable[..., Any]] = None

    def defjvp(self, jvp: RuleT) -> RuleT:
        """Set the JVP rule; returns it (so defjvp can decorate it)."""
        if not callable(jvp):
            raise TypeError(f"custom_jvp function {self.name}: defjvp takes a function, got "
                            f"{jvp!r}")
        self.jvp_rule = jvp
        return jvp

    def defjvps(self, *jvps: Optional[Callable[..., Any]]) -> None:
        """One rule per argument, `jvp_i(t_i, primal_out, *primals)` (None: no dependence),
        whose contributions are summed, as JAX's defjvps."""
        if self.nondiff_argnums:
            raise TypeError(f"custom_jvp function {self.name}: defjvps cannot be used with "
                            "nondiff_argnums; use defjvp")

        def jvp(primals, tangents):
            if len(jvps) != len(primals):
                raise TypeError(f"custom_jvp function {self.name}: defjvps was given "
                                f"{len(jvps)} rules for {len(primals)} arguments")
            out = self(*primals)
            total = None
            for rule, t in zip(jvps, tangents):
                if rule is not None:
                    c = rule(t, out, *primals)
                    total = c if total is None else tree_map(lambda a, b: a + b, total, c)
            return out, tree_map(self._tangent_zero, out) if total is None else total
        self.defjvp(jvp)

    def _require_rule(self):
        if self.jvp_rule is None:
            raise NotImplementedError(f"custom_jvp function {self.name} has no JVP rule: "
                                      f"define it with @{self.name}.defjvp")

    def _impl(self, *leaves, call):
        return self._pack(call, self.fun(*call.rebuild(leaves)), "its output")

    def _jvp(self, tangents, out, values, params, nb):
        """The user's rule, one tangent at a time (a batch slice by slice: right for any rule)."""
        call = params["call"]
        if not nb:
            return self._rule(call, values, tangents, out)
        from .numpy import stack
        batch = next(t.shape[:nb] for t in tangents if t is not None)
        k = int(np.prod(batch))
        flat = [None if t is None else t.reshape((k,) + t.shape[nb:]) for t in tangents]
        slices = [self._rule(call, values, [None if t is None else t[j] for t in flat], out)
                  for j in range(k)]
        return stack(slices).reshape(batch + shape_of(out))

    def _rule(self, call, values, tangents, out):
        """f_jvp's tangent of the output, checked, for one tangent per argument."""
        tangents = [self._tangent_zero(v) if t is None else t for v, t in zip(values, tangents)]
        static, primals = call.split(values)
        result = self.jvp_rule(*static, primals, tuple(unflatten(call.treedef, tangents)))
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(f"custom_jvp function {self.name}: the JVP rule must return a pair "
                            f"(primal_out, tangent_out), got {type(result).__name__}")
        p_out = self._pack(call, result[0], "the JVP rule's primal_out")
        t_out = self._pack(call, result[1], "the JVP rule's tangent_out")
        want = primal(out)
        got = primal(p_out)
        if shape_of(got) != shape_of(want) or not np.allclose(got, want, rtol=1e-6, atol=1e-12,
                                                              equal_nan=True):
            raise ValueError(f"custom_jvp function {self.name}: the JVP rule's primal_out "
                             f"{_describe(got)} does not match the function's output "
                             f"{_describe(want)}")
        if shape_of(t_out) != shape_of(want):
            raise ValueError(f"custom_jvp function {self.name}: the JVP rule's tangent_out has "
                             f"shape {shape_of(t_out)}, the output has shape {shape_of(want)}")
        return t_out

    def _cotangents(self, call, g, out, values):
        """The transpose of f_jvp at these primals, applied to g."""
        from .transforms import vjp
        zeros = [self._tangent_zero(v) for v in values]
        t_out, pull_back = vjp(lambda *ts: self._rule(call, values, list(ts), out), *zeros)
        if np.any(primal(t_out) != 0):
            raise ValueError(f"custom_jvp function {self.name}: the JVP rule gives a nonzero "
                             "(or NaN) tangent_out for zero tangents, so it is not linear in the "
                             "tangents and cannot be transposed for reverse mode")
        return pull_back(g)


class custom_vjp(_Custom):
    """A function with its own VJP rule, as JAX's `jax.custom_vjp`.

        @custom_vjp
        def f(x, y): ...
        def f_fwd(x, y):                 # f's arguments (all of them, with nondiff_argnums)
            return f(x, y), residuals    # anything bwd needs: arrays, pytrees, objects
        def f_bwd(residuals, g):         # f_bwd(*nondiff_args, residuals, g) with nondiff
            return (cotangent of x, cotangent of y)   # None for a zero
        f.defvjp(f_fwd, f_bwd)

    bwd returns one cotangent per differentiated argument, each of that argument's structure and
    shapes (checked). Second order (hvp, hessian: forward-over-reverse) runs fwd and bwd on dual
    numbers, so both must be differentiable code (NumPy on traced values is).

    Forward mode (jvp, jacfwd, and the forward pass of an hvp) differentiates the function
    itself, which is ordinary traceable code. JAX refuses forward mode here; we choose to allow
    it because hvp and hessian need the tangent of f's output, and refusing would lock custom_vjp
    out of every second-order derivative. The forward derivative is then f's true one, not the
    transpose of bwd: where bwd deliberately differs (gradient clipping), jvp and grad disagree,
    as the user asked. If f cannot be differentiated in forward mode, the error says so."""

    kind = "custom_vjp"

    def __init__(self, fun: Callable[..., Any], nondiff_argnums: Sequence[int] = ()) -> None:
        super().__init__(fun, nondiff_argnums)
        self.fwd: Optional[Callable[..., Tuple[Any, Any]]] = None
        self.bwd: Optional[Callable[..., Any]] = None

    def defvjp(self, fwd: Callable[..., Tuple[Any, Any]], bwd: Callable[..., Any]) -> None:
        """Set the forward pass fwd(*args) -> (out, residuals) and bwd(residuals, g)."""
        if not (callable(fwd) and callable(bwd)):
            raise TypeError(f"custom_vjp function {self.name}: defvjp takes two functions "
                            f"(fwd, bwd), got {fwd!r}, {bwd!r}")
        self.fwd, self.bwd = fwd, bwd

    def _require_rule(self):
        if self.fwd is None:
            raise NotImplementedError(f"custom_vjp function {self.name} has no VJP rule: "
                                      f"define it with {self.name}.defvjp(fwd, bwd)")

    def _forward(self, call, leaves):
        result = self.fwd(*call.rebuild(leaves))
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(f"custom_vjp function {self.name}: fwd must return a pair (output, "
                            f"residuals), got {type(result).__name__}")
        return self._pack(call, result[0], "fwd's output"), result[1]

    def _impl(self, *leaves, call):
        """fwd on plain arrays; its residuals are kept for a sweep over these very values."""
        out, call.residuals = self._forward(call, leaves)
        call.residual_values = leaves
        return out

    def _jvp(self, tangents, out, values, params, nb):
        """Forward mode through the function itself (see the class docstring)."""
        call = params["call"]
        batch = next(t.shape[:nb] for t in tangents if t is not None) if nb else ()
        trace = JVPTrace(batch)
        duals = [v if t is None else Dual(trace, v, t) for v, t in zip(values, tangents)]
        try:
            result = self.fun(*call.rebuild(duals))
        except Exception as e:
            raise NotImplementedError(
                f"custom_vjp function {self.name}: forward mode (jvp, jacfwd, hvp, hessian) "
                f"differentiates {self.name} itself, which failed: {type(e).__name__}: {e}") from e
        return trace.unpack(self._pack(call, result, "its output"))[1]

    def _cotangents(self, call, g, out, values):
        """bwd's cotangents, one per leaf, checked against the arguments."""
        kept = call.residual_values
        if kept is not None and len(kept) == len(values) and \
                all(a is b for a, b in zip(kept, values)):
            residuals = call.residuals  # fwd ran on these very values
        else:  # traced values (second order): fwd again, so the residuals carry derivatives
            residuals = self._forward(call, values)[1]
        static, diff = call.split(values)
        cts = self.bwd(*static, residuals, self._unpack(call, g))
        if not isinstance(cts, (tuple, list)) or len(cts) != len(diff):
            got = f"{len(cts)} cotangents" if isinstance(cts, (tuple, list)) else \
                type(cts).__name__
            raise ValueError(f"custom_vjp function {self.name}: bwd must return a tuple of "
                             f"{len(diff)} cotangents (one per differentiated argument), got "
                             f"{got}")
        leaves = []
        for i, (c, arg) in enumerate(zip(cts, diff)):
            arg_leaves, arg_td = flatten(arg)
            if c is None:
                leaves += [None] * len(arg_leaves)
                continue
            c_leaves, c_td = flatten(c)
            if c_td != arg_td:
                raise ValueError(f"custom_vjp function {self.name}: bwd's cotangent {i} has "
                                 f"structure {c_td}, its argument {arg_td}")
            for c_leaf, a_leaf in zip(c_leaves, arg_leaves):
                if c_leaf is not None and shape_of(c_leaf) != shape_of(primal(a_leaf)):
                    raise ValueError(f"custom_vjp function {self.name}: bwd's cotangent {i} "
                                     f"has shape {shape_of(c_leaf)}, its argument "
                                     f"{shape_of(primal(a_leaf))}")
                leaves.append(None if c_leaf is None else
                              c_leaf if isinstance(c_leaf, (Tracer, np.ndarray))
                              else np.asarray(c_leaf, dtype=float))
        return leaves


def _describe(v):
    a = np.asarray(v)
    return f"of shape {a.shape}" if a.size > 6 else f"{a!r}"
