"""The user-facing transforms, with JAX's names and signatures: grad, value_and_grad, vjp, jvp,
jacrev (jacobian), jacfwd, hvp, hessian. Inputs and outputs may be pytrees.

hvp is forward-over-reverse: the reverse sweep of `grad` runs on dual numbers, so the tangent of
the gradient is exactly H v. hessian pushes a whole (chunk of the) identity through that one sweep
as a batch of tangents.
"""
import contextlib
import threading
from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np

from .core import basis
from .core.forward import Dual, JVPTrace
from .core.shortcuts import state as shortcuts
from .core.reverse import ReverseTrace
from .core.tracer import Tracer, bottom, primal
from .pytree import flatten, unflatten, tree_map
from .distributed import Problem, check_executor, default_chunk_size, run, ship
from .fpwarnings import user_line
from .staged_calls import Repeated, _arrays_only, traced, use_staging
from .primitives.shape import concatenate, getitem, reshape, transpose, shape_of, cast_p
from .primitives.broadcasting import broadcast_to
from .numpy.functions import stack
from .typing import ArgNums, Fun, HVPFun, PyTree, ScalarFun

DEFAULT_CHUNK_SIZE = 64  # tangent directions per sweep in jacfwd / hessian (measured best)
ONE_SWEEP_UP_TO = 128  # below this many directions, one sweep carries them all


def _float_leaf(x, fname):
    """Inputs are differentiated as floats or complex numbers: ints and bools become float64,
    floats and complex numbers keep their precision, anything else is a clear error."""
    if isinstance(x, Tracer):
        return x
    a = np.asarray(x)
    kind = a.dtype.kind
    if kind in "fc":
        return a
    if kind in "biu":
        return a.astype(np.float64)
    raise TypeError(f"{fname}: inputs must be arrays of numbers, got dtype {a.dtype} ({x!r:.60})")


HOLOMORPHIC_HINT = ("For a holomorphic function, pass holomorphic=True; otherwise differentiate "
                     "the real and imaginary parts as real inputs or outputs (docs/complex.md).")


def _is_complex(x):
    b = bottom(x)  # np.iscomplexobj, without reading a value ad.jit stages
    return b.dtype.kind == "c" if isinstance(b, Tracer) else np.iscomplexobj(b)


def _check_complex(fname, what, leaves, holomorphic):
    """JAX's rule: with holomorphic=True these values must be complex; without it, complex
    values here would lose directions (the imaginary ones) without a word, so they are refused."""
    for x in leaves:
        c = _is_complex(x)
        if holomorphic and not c:
            raise TypeError(f"{fname} with holomorphic=True requires complex {what}, got dtype "
                            f"{_dtype(x)}")
        if not holomorphic and c:
            raise TypeError(f"{fname} requires real {what}, got dtype "
                            f"{_dtype(x)}. " + HOLOMORPHIC_HINT)


def _check_argnums(fname, argnums):
    """argnums must be an int or a sequence of distinct ints (checked when the transform is
    made; a repeat would make one copy's derivative silently vanish)."""
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    try:
        nums = (argnums,) if single else tuple(argnums)
    except TypeError:
        nums = None
    if nums is None or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                               for n in nums):
        raise TypeError(f"{fname}: argnums must be an integer or a tuple of integers (positions "
                        f"of positional arguments), got {argnums!r}")
    _check_distinct(fname, argnums, nums)


def _check_distinct(fname, argnums, nums):
    seen = set()
    for n in nums:
        if n in seen:
            raise ValueError(f"{fname}: argnums={argnums!r} names argument {n} more than once; "
                             "each argument can be differentiated once (pass it once, and "
                             "reuse its derivative)")
        seen.add(n)


def _split_args(fname, args, argnums):
    """The arguments selected by argnums (one tree, or a tuple of trees for a tuple argnums)
    and a function that puts replacements back in place."""
    single = isinstance(argnums, (int, np.integer))
    nums = (argnums,) if single else tuple(argnums)
    for n in nums:
        if not -len(args) <= n < len(args):
            raise TypeError(f"{fname}: argnums={argnums!r} but the function was called with "
                            f"{len(args)} positional argument(s)")
    nums = tuple(int(n) % len(args) for n in nums)
    _check_distinct(fname, argnums, nums)  # 1 and -1 may be the same argument
    dyn = args[nums[0]] if single else tuple(args[n] for n in nums)

    def rebuild(new):
        out = list(args)
        for n, v in zip(nums, (new,) if single else new):
            out[n] = v
        return out
    return dyn, rebuild


def _shape(x):
    """x's shape, read without reading a traced value (ad.jit records value reads)."""
    b = bottom(x)
    return b.shape if isinstance(b, Tracer) else np.shape(b)


def _dtype(x):
    """x's dtype, read without reading a traced value."""
    b = bottom(x)
    return b.dtype if isinstance(b, Tracer) else np.result_type(b)


def _zeros_like(x):
    return np.zeros(_shape(x), dtype=_dtype(x))


def _strip(trace, tree):
    """Replace this trace's tracers in `tree` by their values (they leave the trace)."""
    return tree_map(lambda x: x.value if isinstance(x, Tracer) and x._trace is trace else x, tree)


def _split_aux(fname, res, has_aux):
    if not has_aux:
        return res, None
    if not (isinstance(res, (tuple, list)) and len(res) == 2):
        raise TypeError(f"{fname}(has_aux=True): the function must return a pair (output, aux)")
    return res[0], res[1]


# --- reverse mode ------------------------------------------------------------------------------
def record(fname, f_of_tree, tree, trace=None):
    """Run f on tape inputs (of `trace`, a fresh ReverseTrace by default):
    (trace, input nodes, treedef, raw output)."""
    leaves, td = flatten(tree)
    trace = ReverseTrace() if trace is None else trace
    nodes = [trace.input(_float_leaf(x, fname)) for x in leaves]
    with _lists_explained(fname, tree):
        out = f_of_tree(unflatten(td, nodes))
    return trace, nodes, td, out


@contextlib.contextmanager
def _lists_explained(fname, tree):
    """An error inside f, when an input was a list (or tuple) of numbers, says that it was
    differentiated as a pytree of scalars (as JAX does), not as the array it may stand for."""
    try:
        yield
    except (TypeError, ValueError, IndexError) as error:
        lists = [x for x in (tree if isinstance(tree, tuple) else (tree,))
                 if isinstance(x, (list, tuple)) and x
                 and all(isinstance(v, (int, float, np.number)) for v in x)]
        if lists and hasattr(error, "add_note"):
            error.add_note(f"{fname}: an input was the {type(lists[0]).__name__} "
                           f"{lists[0]!r:.60}, which is differentiated as a pytree of "
                           f"{len(lists[0])} scalars (as in JAX), not as an array: pass "
                           "np.array([...]) if an array is meant")
        raise


def _pull_back(trace, nodes, seeds):
    """Gradients for the input nodes, zeros where unreached, in each input's dtype."""
    cts = trace.backward(seeds) if seeds else [None] * len(trace.tape)
    grads = []
    for n in nodes:
        g = cts[n.index]
        if g is None:
            g = _zeros_like(n.value)
        else:
            if g.shape != shape_of(n.value):  # compact (uniform along some axes): expand it
                g = broadcast_to(g, shape_of(n.value))
                g = g.copy() if type(g) is np.ndarray else g
            if g.dtype != n.value.dtype:
                g = cast_p(g, dtype=n.value.dtype)
        grads.append(g)
    return grads


def value_and_grad(fun: ScalarFun, argnums: ArgNums = 0, *, has_aux: bool = False,
                   holomorphic: bool = False) -> Callable[..., Tuple[Any, PyTree]]:
    """f -> (x -> (f(x), ∇f(x))), one forward pass and one reverse sweep. f must return a
    scalar; with has_aux=True it returns (scalar, aux) and the result is ((value, aux), grad).
    holomorphic: as for grad."""
    _check_argnums("value_and_grad", argnums)
    @user_line()
    def value_and_grad_fun(*args, **kwargs):
        (value, aux), g = _value_and_grad(fun, argnums, has_aux, args, kwargs, keep_value=True,
                                       fname="value_and_grad", holomorphic=holomorphic)
        return ((value, aux), g) if has_aux else (value, g)
    _name(value_and_grad_fun, "value_and_grad", fun)
    return value_and_grad_fun


def grad(fun: ScalarFun, argnums: ArgNums = 0, *, has_aux: bool = False,
         holomorphic: bool = False) -> Callable[..., PyTree]:
    """f -> ∇f for a scalar-valued f (JAX's jax.grad). With argnums a tuple, a tuple of
    gradients; with has_aux=True, (gradient, aux). f's output must be real, unless
    holomorphic=True (then inputs and output are complex and the result is f'(z)); for complex
    inputs of a real f the gradient is df/dx - i df/dy, as in JAX (docs/complex.md)."""
    _check_argnums("grad", argnums)
    @user_line()
    def grad_fun(*args, **kwargs):
        (_, aux), g = _value_and_grad(fun, argnums, has_aux, args, kwargs, keep_value=False,
                                      holomorphic=holomorphic)
        return (g, aux) if has_aux else g
    _name(grad_fun, "grad", fun)
    return grad_fun


def _value_and_grad(fun, argnums, has_aux, args, kwargs, keep_value, fname="grad",
                    holomorphic=False):
    """((value or None, aux or None), gradient). Without keep_value, f's value is let go before
    the sweep: under forward-over-reverse it holds the forward pass's deferred tangents (and
    through them its values), which the sweep does not need."""
    dyn, rebuild = _split_args(fname, args, argnums)
    trace, nodes, td, res = record(fname, lambda d: fun(*rebuild(d), **kwargs), dyn)
    out, aux = _split_aux("grad", res, has_aux)
    index = trace.index_of(out)
    value = out.value if index is not None else out
    what = (f"a {type(value).__name__}" if isinstance(value, (list, tuple, dict))
            else None if _shape(value) == () else f"shape {_shape(value)}")
    if what is not None:
        hint = ("If it returns (output, aux), pass has_aux=True. "
                if isinstance(value, tuple) and len(value) == 2 and not has_aux else "")
        raise TypeError(f"grad requires a function with a scalar output, but it returned "
                        f"{what}. {hint}Use jacobian (jacrev/jacfwd) or vjp for non-scalar "
                        "outputs, or reduce the output to a scalar (e.g. sum).")
    if holomorphic:
        _check_complex(fname, "inputs", flatten(dyn)[0], True)
    _check_complex(fname, "outputs", [value], holomorphic)
    seeds = {} if index is None else {index: np.ones((), dtype=_dtype(value))}
    aux = _strip(trace, aux) if has_aux else None
    if not keep_value:
        del res, out, value
        value = None
    grads = unflatten(td, _pull_back(trace, nodes, seeds))
    return (value, aux), grads


@user_line()
def vjp(fun: Fun, *primals: PyTree, has_aux: bool = False) -> Tuple[Any, ...]:
    """(f(*primals), vjp_fn): vjp_fn(cotangent) returns a tuple with one cotangent per primal.
    The tape is kept until vjp_fn is released, so vjp_fn may be called many times."""
    trace, nodes, td, res = record("vjp", lambda p: fun(*p), tuple(primals))
    out, aux = _split_aux("vjp", res, has_aux)
    out_leaves, out_td = flatten(out)
    indices = [trace.index_of(o) for o in out_leaves]
    values = [o.value if i is not None else o for o, i in zip(out_leaves, indices)]

    @user_line()
    def vjp_fn(cotangent):
        ct_leaves, ct_td = flatten(cotangent)
        if ct_td != out_td:
            raise ValueError(f"vjp: the cotangent's structure {ct_td} does not match the "
                             f"output's {out_td}")
        seeds = {}
        for i, c, v in zip(indices, ct_leaves, values):
            c = _float_leaf(c, "vjp")
            if shape_of(c) != _shape(v):
                raise ValueError(f"vjp: cotangent of shape {shape_of(c)} for an output of "
                                 f"shape {_shape(v)}")
            if _is_complex(c) and not _is_complex(v):
                raise TypeError(f"vjp: complex cotangent (dtype {_dtype(c)}) for "
                                f"a real output: its imaginary part would have no meaning")
            if i is not None:
                seeds[i] = seeds[i] + c if i in seeds else c
        return unflatten(td, _pull_back(trace, nodes, seeds))

    result = unflatten(out_td, values)
    if has_aux:
        return result, vjp_fn, _strip(trace, aux)
    return result, vjp_fn


def jacrev(fun: Fun, argnums: ArgNums = 0, *, has_aux: bool = False,
           holomorphic: bool = False, executor: Any = None) -> Callable[..., PyTree]:
    """Jacobian by reverse mode: one forward pass, then the recorded reverse sweep run on a batch
    of cotangents -- the identity over the output, pushed as batched tangents through the VJP,
    which is linear in its cotangent -- so ceil(m / chunk) sweeps for m outputs instead of m.
    For an output of shape s and an input of shape t, the Jacobian has shape s + t. With
    has_aux=True, fun returns (output, aux) and the result is (jacobian, aux). Outputs must be
    real unless holomorphic=True (complex inputs and outputs). With an `executor`, the batched
    sweeps run on its workers, each recording the forward pass once."""
    _check_argnums("jacrev", argnums)
    if executor is not None:
        check_executor(executor, "jacrev")
    @user_line()
    def jacrev_fun(*args, **kwargs):
        dyn, rebuild = _split_args("jacrev", args, argnums)
        if holomorphic:
            _check_complex("jacrev", "inputs", flatten(dyn)[0], True)
        sweep, cotangent, zero, out_td, out_leaves, vjp_fn, aux = _reverse_sweep(
            lambda d: fun(*rebuild(d), **kwargs), dyn, has_aux)
        _check_complex("jacrev", "outputs", out_leaves, holomorphic)
        in_leaves, in_td = flatten(dyn)
        # part[i][j]: d out_j / d in_i, of shape out_j + in_i
        if sum(z.size for z in zero) == 1:  # one output: one plain sweep is cheaper
            rows = flatten(vjp_fn(unflatten(out_td, [np.ones_like(z) for z in zero]))[0])[0]
            part = [[reshape(r, np.shape(z) + np.shape(r)) for z in zero] for r in rows]
        else:  # J^T from the batched sweep, block (i, j) of shape in_i + out_j
            problem = None if executor is None else _ForwardSweeps(
                fun, argnums, args, kwargs, has_aux, holomorphic, "jacrev", reverse=True)
            jt = flatten(_jacfwd_tree(sweep, cotangent, None, False, holomorphic,
                                      jacrev_fun.__name__, executor, problem))[0]
            part = [[_swap_blocks(jt[i * len(zero) + j], _shape(x))
                     for j in range(len(zero))] for i, x in enumerate(in_leaves)]
        blocks = [unflatten(in_td, [part[i][j] for i in range(len(in_leaves))])
                  for j in range(len(zero))]
        jac = unflatten(out_td, blocks)
        return (jac, aux) if has_aux else jac
    _name(jacrev_fun, "jacrev", fun)
    return jacrev_fun


def _swap_blocks(b, lead_shape):
    """An array of shape lead + rest as rest + lead."""
    k = len(lead_shape)
    return transpose(b, tuple(range(k, len(shape_of(b)))) + tuple(range(k)))


jacobian = jacrev


# --- forward mode ------------------------------------------------------------------------------
@user_line()
def jvp(fun: Fun, primals: Sequence[PyTree], tangents: Sequence[PyTree], *,
        batched: bool = False) -> Tuple[PyTree, PyTree]:
    """(f(*primals), J tangents): one forward pass on dual numbers. With batched=True every
    tangent carries one extra leading axis of a common size k -- k directions pushed through
    the same pass -- and so does every output tangent."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (one entry per argument)")
    p_leaves, td = flatten(tuple(primals))
    t_leaves, ttd = flatten(tuple(tangents))
    if td != ttd:
        raise ValueError(f"jvp: tangents' structure {ttd} does not match primals' {td}")
    batch = _tangent_batch(p_leaves, t_leaves) if batched else ()
    trace = JVPTrace(batch)
    ins = []
    for p, t in zip(p_leaves, t_leaves):
        p, t = _float_leaf(p, "jvp"), _float_leaf(t, "jvp")
        if shape_of(t) != batch + shape_of(p):
            raise ValueError(f"jvp: tangent of shape {shape_of(t)} for a primal of shape "
                             f"{shape_of(p)}" + (f" (with the batch axis: {batch + shape_of(p)})"
                                                 if batched else ""))
        if _is_complex(t) and not _is_complex(p):
            raise TypeError(f"jvp: complex tangent (dtype {_dtype(t)}) for a "
                            "real primal: a real input moves along real directions only")
        if not isinstance(t, Tracer) and t.dtype != _dtype(p):
            t = t.astype(_dtype(p))
        ins.append(Dual(trace, p, t))
    out = fun(*unflatten(td, ins))
    out_leaves, out_td = flatten(out)
    outs, touts = [], []
    for o in out_leaves:
        value, tangent = trace.unpack(o)
        outs.append(value)
        if tangent is None:
            tangent = np.zeros(batch + _shape(value), dtype=_dtype(value))
        touts.append(tangent)
    return unflatten(out_td, outs), unflatten(out_td, touts)


def _tangent_batch(p_leaves, t_leaves):
    """The common leading batch size of batched tangents, as a shape (k,)."""
    sizes = {shape_of(t)[0] for p, t in zip(p_leaves, t_leaves)
             if len(shape_of(t)) == len(shape_of(p)) + 1}
    if len(sizes) != 1 or any(len(shape_of(t)) != len(shape_of(p)) + 1
                              for p, t in zip(p_leaves, t_leaves)):
        raise ValueError("jvp(batched=True): every tangent needs one leading batch axis, of the "
                         f"same size for all (got tangent shapes "
                         f"{[shape_of(t) for t in t_leaves]} for primals "
                         f"{[shape_of(p) for p in p_leaves]})")
    return (sizes.pop(),)


def _basis_chunk(start, k, offset, size, dtype):
    """Rows start..start+k of the identity, restricted to one input's columns (None if zero)."""
    cols = np.arange(start, start + k) - offset
    inside = (cols >= 0) & (cols < size)
    if not inside.any():
        return None
    e = np.zeros((k, size), dtype=dtype)
    e[np.nonzero(inside)[0], cols[inside]] = 1
    return e


def jacfwd(fun: Fun, argnums: ArgNums = 0, *, chunk_size: Optional[int] = None,
           has_aux: bool = False, holomorphic: bool = False,
           executor: Any = None) -> Callable[..., PyTree]:
    """Jacobian by forward mode: the identity is pushed through f as batched tangents,
    `chunk_size` directions per pass (bounding memory). Output shape s + t, as jacrev. With
    has_aux=True, fun returns (output, aux) and the result is (jacobian, aux). Inputs must be
    real unless holomorphic=True (complex inputs and outputs). With an `executor` (a
    concurrent.futures.Executor or a dask.distributed Client) the chunks are computed by its
    workers, with the same numbers (see autodiff.distributed)."""
    _check_argnums("jacfwd", argnums)
    return _jacfwd(fun, argnums, chunk_size, has_aux, holomorphic, executor, "jacfwd")


def _jacfwd(fun, argnums, chunk_size, has_aux, holomorphic, executor, what):
    """jacfwd, with `what` (jacfwd or hessian) naming the work for an executor's errors."""
    if executor is not None:
        check_executor(executor, what)
    @user_line()
    def jacfwd_fun(*args, **kwargs):
        dyn, rebuild = _split_args("jacfwd", args, argnums)
        problem = None if executor is None else \
            _ForwardSweeps(fun, argnums, args, kwargs, has_aux, holomorphic, what)
        return _jacfwd_tree(lambda d: fun(*rebuild(d), **kwargs), dyn, chunk_size, has_aux,
                            holomorphic, jacfwd_fun.__name__, executor, problem)
    _name(jacfwd_fun, "jacfwd", fun)
    return jacfwd_fun


def _layout(tree):
    """The input leaves (as floats), their treedef, shapes and sizes, the number of directions
    and the tangents' dtype: what the chunks of jacfwd are cut from."""
    leaves, in_td = flatten(tree)
    leaves = [_float_leaf(x, "jacfwd") for x in leaves]
    shapes = [shape_of(x) for x in leaves]
    sizes = [int(np.prod(s)) for s in shapes]
    dtype = np.result_type(*[_dtype(x) for x in leaves]) if leaves else np.float64
    return leaves, in_td, shapes, sizes, sum(sizes), dtype


def _forward_chunk(fun1, layout, start, k, has_aux, holomorphic):
    """Directions start..start+k of the identity pushed through fun1 as one batch of tangents:
    (output treedef, output values, output tangents (k leading), aux). The one sweep both the
    serial loop and the workers of an executor run."""
    if not shortcuts.basis_products:
        return _forward_sweep(fun1, layout, start, k, has_aux, holomorphic, None)
    with basis.Scope() as marks:  # the chunks are known rows of the identity while it runs
        return _forward_sweep(fun1, layout, start, k, has_aux, holomorphic, marks)


def _forward_sweep(fun1, layout, start, k, has_aux, holomorphic, marks):
    """_forward_chunk's sweep; `marks` (a basis.Scope, or None) marks the chunks as identity
    rows for the shortcut basis_products."""
    leaves, in_td, shapes, sizes, _, dtype = layout
    trace = JVPTrace((k,))
    ins, offset = [], 0
    for x, s, size in zip(leaves, shapes, sizes):
        e = _basis_chunk(start, k, offset, size, dtype)
        if e is not None:
            e = e.reshape((k,) + s)
            if marks is not None:  # row r is one at column start + r - offset, if inside
                marks.mark(e, max(0, offset - start), min(k, offset + size - start),
                           start - offset)
        ins.append(x if e is None else Dual(trace, x, e))
        offset += size
    res = fun1(unflatten(in_td, ins))
    res, chunk_aux = _split_aux("jacfwd", res, has_aux)
    aux = _strip(trace, chunk_aux) if has_aux else None
    out_leaves, out_td = flatten(res)
    if holomorphic:
        _check_complex("jacfwd", "outputs", out_leaves, True)
    values, tangents = [], []
    for o in out_leaves:
        value, t = trace.unpack(o)
        values.append(value)
        tangents.append(np.zeros((k,) + _shape(value), _dtype(value)) if t is None else t)
    return out_td, values, tangents, aux


def _jacfwd_tree(fun1, tree, chunk_size, has_aux, holomorphic, name, executor=None,
                 problem=None):
    """The Jacobian of fun1 at the pytree `tree`, chunk by chunk (serially, or on `executor`
    as `problem`, whose solve runs the same _forward_chunk)."""
    layout = _layout(tree)
    _check_complex("jacfwd", "inputs", layout[0], holomorphic)
    shapes, sizes, n = layout[2], layout[3], layout[4]
    chunk = chunk_size or default_chunk_size(n, executor) or \
        (n if n <= ONE_SWEEP_UP_TO else DEFAULT_CHUNK_SIZE)
    chunk = max(1, min(n, chunk))
    spans = [(start, min(chunk, n - start) if n else 0) for start in range(0, max(n, 1), chunk)]
    label = f"{name}: {n} directions"
    if executor is None:
        results = run(lambda span: _forward_chunk(fun1, layout, *span, has_aux, holomorphic),
                      spans, label)
    else:
        results = ship(executor, problem, problem.what).map(spans, label)
    out_td, out_values = results[-1][0], results[-1][1]
    aux = results[0][3]
    blocks = []
    for i, value in enumerate(out_values):
        chunks = [r[2][i] for r in results]
        tangents = concatenate(chunks, axis=0) if len(chunks) > 1 else chunks[0]
        out_shape = shape_of(value)
        per_input, offset = [], 0
        for s, size in zip(shapes, sizes):
            b = getitem(tangents, slice(offset, offset + size))
            b = reshape(b, s + out_shape)
            nd_in = len(s)
            b = transpose(b, tuple(range(nd_in, nd_in + len(out_shape))) + tuple(range(nd_in)))
            per_input.append(b)
            offset += size
        blocks.append(unflatten(layout[1], per_input))
    jac = unflatten(out_td, blocks)
    return (jac, aux) if has_aux else jac


_RECORDED = threading.Lock()


class _ForwardSweeps(Problem):
    """jacfwd's (and through it hessian's) chunks, on a worker: fun at args, differentiated
    in the arguments argnums selects. With reverse=True, jacrev's: the forward pass is recorded
    once per worker and the chunks are batched reverse sweeps of its VJP."""

    def __init__(self, fun, argnums, args, kwargs, has_aux, holomorphic, what, reverse=False):
        self.fun, self.argnums, self.args, self.kwargs = fun, argnums, args, kwargs
        self.has_aux, self.holomorphic, self.what, self.reverse = has_aux, holomorphic, what, \
            reverse

    def _made(self):
        """(fun1, tree, layout), derived once per worker."""
        made = getattr(self, "_cache", None)
        if made is None:
            dyn, rebuild = _split_args(self.what, self.args, self.argnums)
            fun1 = lambda d: self.fun(*rebuild(d), **self.kwargs)
            if self.reverse:
                fun1, dyn = _reverse_sweep(fun1, dyn, self.has_aux)[:2]
            made = self._cache = (fun1, dyn, _layout(dyn))
        return made

    def solve(self, span):
        if not self.reverse:
            fun1, _, layout = self._made()
            return _forward_chunk(fun1, layout, *span, self.has_aux, self.holomorphic)
        with _RECORDED:  # one recorded tape, swept by one thread of a worker at a time
            fun1, _, layout = self._made()
            return _forward_chunk(fun1, layout, *span, False, self.holomorphic)

    def describe(self, span):
        start, k = span
        return f"directions {start} to {start + k - 1}"


class HessianSweeps(Problem):
    """Column blocks of the Hessian of f(x, *args) in a flat x, on a worker: H[:, span], as
    ad.hessian computes them (the same sweep), for autodiff.distributed.hessian_blocks."""

    def __init__(self, f, x, args):
        self.f, self.x, self.args, self.what = f, x, args, "hessian_blocks"

    def solve(self, span):
        layout = getattr(self, "_layout", None)
        if layout is None:
            layout = self._layout = _layout(self.x)
        g = grad(lambda z: self.f(z, *self.args))
        tangents = _forward_chunk(g, layout, *span, False, False)[2][0]
        return np.ascontiguousarray(np.asarray(primal(tangents)).T)

    def describe(self, span):
        start, k = span
        return f"columns {start} to {start + k - 1}"


def _reverse_sweep(fun1, dyn, has_aux):
    """jacrev's forward pass: (the VJP as a function of a cotangent tree, the zero cotangent
    tree, the output leaves' zeros, the output treedef, the output leaves, the VJP, aux)."""
    out, vjp_fn, *aux = vjp(fun1, dyn, has_aux=has_aux)
    out_leaves, out_td = flatten(out)
    zero = [_zeros_like(o) for o in out_leaves]
    return (lambda ct: vjp_fn(ct)[0]), unflatten(out_td, zero), zero, out_td, out_leaves, \
        vjp_fn, (aux[0] if has_aux else None)


# --- second order --------------------------------------------------------------------------------
def _check_direction(fname, x, v):
    """v must be a pytree of x's structure and shapes (a direction in x's space)."""
    x_leaves, xtd = flatten(x)
    v_leaves, vtd = flatten(v)
    if xtd != vtd:
        raise ValueError(f"{fname}: v's structure {vtd} does not match x's {xtd}")
    for a, b in zip(x_leaves, v_leaves):
        if _shape(a) != _shape(b):
            raise ValueError(f"{fname}: v has shape {_shape(b)} but x has shape "
                             f"{_shape(a)}; they must match")


def _no_complex(fname, x):
    """H v for complex x would mix the gradient's convention (df/dx - i df/dy) into H: refused,
    with the way that is well defined."""
    if any(_is_complex(a) for a in flatten(x)[0]):
        raise TypeError(f"{fname}: complex inputs are not supported; take the Hessian with "
                        "respect to the real and imaginary parts: f(x + 1j*y) of real x and y "
                        "(docs/complex.md)")


@user_line()
def hvp(fun: ScalarFun, x: PyTree, v: PyTree, *, batched: bool = False) -> PyTree:
    """H(x) v for scalar f, exactly, by forward-over-reverse: one forward pass and one reverse
    sweep, both on dual numbers (x, v). x and v are pytrees of the same structure and shapes.
    With batched=True, each leaf of v has a leading axis of k directions and the result is
    the k products H v_i, from the same single sweep (a block of vectors: H V)."""
    if not batched:
        _check_direction("hvp", x, v)
    _no_complex("hvp", x)
    return jvp(grad(fun), (x,), (v,), batched=batched)[1]


@user_line()
def hvp_fn(fun: ScalarFun, x: PyTree, *, args: Any = (), jit: Optional[bool] = None) -> HVPFun:
    """v -> H(x) v, for many products at one point x (CG, Lanczos, Newton-CG): ∇f is recorded
    once and each product is one reverse sweep over that recording (H is symmetric, so the
    VJP of the gradient is H v). H is that of fun(x, *args) in x: args are data, held fixed
    (as in scipy). For a single product, `hvp` is cheaper.

    jit=True stages the products with ad.jit: the whole product (the gradient at x and the
    sweep) as a function of (x, v, array args), recorded once the unstaged products have
    taken about what a recording costs (a few ms) and replayed from then on, with the same
    numbers, bit for bit, unless the replays (which recompute the gradient) are timed no
    faster than the unstaged sweeps: they are about 2x faster for small and medium problems,
    slower for large data. None (the default) follows
    ad.shortcuts 'staged_toolkit' (on unless switched off); False never stages. See
    docs/toolkit.md."""
    _no_complex("hvp_fn", x)
    use = use_staging(jit, "hvp_fn")
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    leaves, tree = flatten(x)  # x as it is now: the recording keeps references to its arrays,
    x = unflatten(tree, [np.array(a, copy=True) if type(a) is np.ndarray else a  # which the
                         for a in leaves])  # caller may change in place before a product
    _, vjp_fn = vjp(grad(lambda z: fun(z, *args)) if args else grad(fun), x)
    sweep = lambda v, *_: vjp_fn(v)[0]  # noqa: E731
    data = args if _arrays_only(args) else ()  # array data: arguments of the recording
    if use and not traced((x, args)):  # an enclosing transform's values are not staged
        closed = () if data else args

        def product(z, v, *data):
            return vjp(grad(lambda w: fun(w, *data, *closed)), z)[1](v)[0]
        sweep = Repeated(lambda v, z, *data: product(z, v, *data), sweep)

    @user_line()
    def hessian_vector_product(v):
        _check_direction("hvp_fn", x, v)
        return sweep(v, x, *data)
    hessian_vector_product.staged = sweep if type(sweep) is Repeated else None
    return hessian_vector_product


def hessian(fun: ScalarFun, argnums: ArgNums = 0, *, chunk_size: Optional[int] = None,
            has_aux: bool = False, holomorphic: bool = False,
            executor: Any = None) -> Callable[..., PyTree]:
    """The exact Hessian, forward-over-reverse: jacfwd(grad(f)), with the identity pushed as
    batched tangents through the reverse sweep (`chunk_size` directions at a time). For an input
    of shape s the Hessian has shape s + s; a tuple argnums gives nested blocks, as in JAX.
    With has_aux=True, fun returns (scalar, aux) and the result is (hessian, aux). With
    holomorphic=True, f''(z) of a holomorphic f of complex inputs; of a real f of complex
    inputs, take it with respect to the real and imaginary parts (docs/complex.md). With an
    `executor` (a concurrent.futures.Executor or a dask.distributed Client), the chunks of
    columns are computed by its workers, with the same numbers (see autodiff.distributed)."""
    _check_argnums("hessian", argnums)
    h = _jacfwd(grad(fun, argnums, has_aux=has_aux, holomorphic=holomorphic), argnums,
                chunk_size, has_aux, holomorphic, executor, "hessian")

    @user_line()
    def hessian_fun(*args, **kwargs):
        dyn, _ = _split_args("hessian", args, argnums)  # errors name hessian, not jacfwd
        if not holomorphic:
            _no_complex("hessian", dyn)
        return h(*args, **kwargs)
    _name(hessian_fun, "hessian", fun)
    return hessian_fun


def stop_gradient(x: PyTree) -> PyTree:
    """A constant copy of x (every derivative level stripped); works on pytrees. Under ad.jit
    it stays a staged value (a replay recomputes it), not a value read at recording."""
    return tree_map(bottom, x)


def _name(wrapper, kind, fun):
    wrapper.__name__ = f"{kind}({getattr(fun, '__name__', 'f')})"
    wrapper.__qualname__ = wrapper.__name__
    wrapper.__wrapped__ = fun
