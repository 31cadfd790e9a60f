"""One declaration per primitive: `declare` turns readable per-argument rules into the contract
the traces use (core/primitive.py), and wraps around them what every rule would otherwise
repeat: broadcasting, compact cotangents, batches of tangents and what the tapes keep.

Rules name what they read. A rule's first parameter is the tangent `t` (JVP) or the cotangent
`g` (VJP); its other parameters are taken by name from
  out, out_shape                the primal output, or only its shape
  x, x_shape, x_dtype           an argument (by the name in `args`), or only its shape / dtype
  axis, shape, ...              the primitive's parameters (`params`)
  nb                            batched rules only: the tangent's number of leading batch axes
  argnum                        a VJP rule for every argument at once: which one is asked for
A variadic primitive (`args=("*xs",)`) gives its rules `xs` and `xs_shapes` (lists). A rule is
handed only what it names, so the tape keeps exactly that (the rest as shapes, or nothing):
what is kept follows from the rules by construction.

JVP rules are written for one tangent. A batch of tangents (jacfwd, hessian: `nb` leading axes)
goes through them one slice at a time, which is right for any rule; `batched_jvp` gives a
faster way: rules taking `nb`, or "same" when the one-tangent rules are right as they are on
leading batch axes (they only broadcast over them). The fast way is a speed shortcut
(`batched_rules`, see core/shortcuts.py) checked against the slice-by-slice one.

Elementwise primitives give `diagonal` partials instead: `d out / d arg` as a function of what
it names (no tangent), which serves as both JVP (t * partial) and VJP (g * partial) and needs no
batching rule. A partial may return 1, -1 or 0 (the tangent itself, negated, or a zero), a
boolean mask (the tangent where True, else 0), or `scaled(c, a)` for c * a with c a power of two
(the VJP then scales whichever of a and a compact cotangent is smaller).
"""
import cmath
import inspect

import numpy as np

from ..core.primitive import Primitive, register
from ..core.forward import Dual
from ..core.reverse import Node
from ..core.tracer import Tracer, bottom
from ..core.shortcuts import state as shortcuts
from .samples import as_samples

class Rule:
    """A rule and how to call it: the sources of its parameters, and what it reads."""

    __slots__ = ("fn", "call", "partial", "out_read", "arg_reads", "only_arg", "kind",
                 "constant")

    def __init__(self, fn, prim_name, args, params, extra=(), first=True):
        self.fn = fn
        try:
            names = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            raise TypeError(f"primitive {prim_name!r}: a rule must be a Python function whose "
                            f"parameters name what it reads, got {fn!r}") from None
        if first:
            names = names[1:]
        variadic = len(args) == 1 and args[0].startswith("*")
        arg_names = [args[0][1:]] if variadic else list(args)
        self.out_read, self.arg_reads = None, {}  # argument position (or "all") -> read
        sources = []
        for p in names:
            name = p.name
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"primitive {prim_name!r}: rule {fn.__name__} takes *{name}; "
                                "a rule names each value it reads")
            source = self._source(name, arg_names, variadic, params, extra)
            if source is None:
                if p.default is not p.empty:
                    continue  # a helper default, not a source
                known = ["out", "out_shape"] + [f"{a}{s}" for a in arg_names
                                                for s in ("", "_shape", "_dtype")]
                known += list(params) + list(extra)
                if variadic:
                    known.append(arg_names[0] + "_shapes")
                raise TypeError(f"primitive {prim_name!r}: rule {fn.__name__} reads {name!r}, "
                                f"which is none of {', '.join(known)}")
            sources.append(source)
        # The callers, compiled once from the sources (expressions of a fixed form, built
        # above from validated names): a rule call costs one Python call, however many
        # values it names. call(first, out, values, params, more) for a rule of a tangent or
        # cotangent; partial(out, values, params) for a diagonal partial.
        listed = ", ".join(sources)
        self.call = eval("lambda fn: lambda first, out, values, params, more=None: "  # noqa: S307
                         f"fn(first{', ' if listed else ''}{listed})")(fn)
        self.partial = eval(f"lambda fn: lambda out, values, params: fn({listed})")(fn)  # noqa
        # For a diagonal partial, the hot path's shortcuts: the index of the one argument it
        # reads (then it is called as fn(values[k]), no caller between), or, for a partial
        # that reads nothing, its value and kind once known (1, -1 and 0 then cost nothing).
        self.only_arg, self.kind, self.constant = None, _COMPUTED, None
        if not first and not sources:
            self.partial = self._constant_partial
        elif not first and len(sources) == 1 and sources[0] in _ARGUMENT_SOURCES:
            self.only_arg = _ARGUMENT_SOURCES.index(sources[0])  # (values[k] itself, not
            # values[k].shape or .dtype)

    def _constant_partial(self, out, values, params):
        """A partial that reads nothing: a number is kept after its first application (not at
        declaration: a rule may raise, e.g. a derivative that is not implemented)."""
        p = self.fn()
        if type(p) is int or type(p) is float:
            self.constant = p
            self.kind = _special(p)  # (set last: a thread reading `kind` finds `constant`)
        return p

    def _read(self, key, kind):
        if key == "out":
            self.out_read = _stronger(self.out_read, kind)
        else:
            self.arg_reads[key] = _stronger(self.arg_reads.get(key), kind)

    def _source(self, name, arg_names, variadic, params, extra):
        """The expression that gives the value named `name`, noting what it reads."""
        if name == "out":
            self._read("out", "value")
            return "out"
        if name == "out_shape":
            self._read("out", "shape")
            return "out.shape"
        if variadic:
            base = arg_names[0]
            if name == base:
                self._read("all", "value")
                return "values"
            if name == base + "_shapes":
                self._read("all", "shape")
                return "[v.shape for v in values]"
        else:
            for i, a in enumerate(arg_names):
                if name == a:
                    self._read(i, "value")
                    return f"values[{i}]"
                if name in (a + "_shape", a + "_dtype"):
                    self._read(i, "shape")
                    return f"values[{i}].{name[len(a) + 1:]}"
        if name in params:
            return f"params[{name!r}]"
        if name in extra:
            return f"more[{name!r}]"
        return None

    def reads(self, nargs):
        """(of the output, of each argument): None, "shape" or "value"."""
        every = self.arg_reads.get("all")
        return self.out_read, tuple(_stronger(self.arg_reads.get(k), every) for k in range(nargs))


_ORDER = {None: 0, "shape": 1, "value": 2}
_ARGUMENT_SOURCES = [f"values[{k}]" for k in range(32)]  # a rule's source naming argument k


def _stronger(a, b):
    return a if _ORDER[a] >= _ORDER[b] else b


def declare(name, impl, args, *, params=(), diagonal=None, jvp=None, vjp=None,
            batched_jvp=None, broadcasts=False, linear=False, sparsity=None, numpy=(), scipy=(),
            function=None, samples=None, accumulate=None, doc=None, builtin=True):
    """Declare and register a primitive: its NumPy impl, its rules (see the module docstring),
    and its facts for the layers above: the NumPy names it serves and the function serving
    them, its structure for sparsity detection, sample inputs for the registry-wide tests
    (a list of argument specs, see samples.py: drawn only by the tests).

    args: argument names (("*xs",) for any number); params: keyword parameter names.
    diagonal: elementwise partials, one per argument (None: not differentiable), instead of
    jvp / vjp. jvp: one rule per argument (each gives that argument's contribution), or one
    callable `rule(tangents, ...)` for all (tangents[i] None for a zero). vjp: one rule per
    argument, or one callable `rule(g, argnum, ...)`. broadcasts: arguments broadcast against
    each other (rules see tangents lifted to the output's rank, and their cotangents are summed
    back to each argument's shape). accumulate: optionally, the VJP of argument 0 added into a
    plain buffer in place (core/accumulate.py)."""
    nargs = None if len(args) == 1 and args[0].startswith("*") else len(args)
    prim = Primitive(name, impl, args=args, builtin=builtin, broadcasts=broadcasts,
                     linear=linear, sparsity=sparsity, numpy=numpy, scipy=scipy,
                     function=function, samples=as_samples(name, samples), doc=doc)
    if diagonal is not None:
        if jvp is not None or vjp is not None:
            raise TypeError(f"primitive {name!r}: give diagonal partials, or jvp and vjp rules")
        partials = _rules(name, diagonal, args, params, nargs, first=False)
        prim.jvp = _diagonal_jvp(prim, partials)
        prim.vjp = _diagonal_vjp(prim, partials)
        jvp_rules = vjp_rules = partials
        fast = None
        prim.batching = "elementwise"
    else:
        jvp_rules = _rules(name, jvp, args, params, nargs)
        vjp_rules = _rules(name, vjp, args, params, nargs, extra=("argnum",))
        fast = batched_jvp
        if batched_jvp is not None and batched_jvp != "same":
            fast = _rules(name, batched_jvp, args, params, nargs, extra=("nb",))
        prim.batching = None if fast is None else "same" if fast == "same" else "rules"
        if jvp_rules is not None:
            prim.jvp = _jvp(prim, jvp_rules, fast)
        if vjp_rules is not None:
            prim.vjp = _vjp(prim, vjp_rules)
    prim.reads = _reads(jvp_rules, vjp_rules, fast if isinstance(fast, (Rule, tuple)) else None)
    prim.vjp_accumulate = accumulate
    return register(prim)


def _rules(name, rules, args, params, nargs, extra=(), first=True):
    """Rule objects: a tuple (one per argument, None where not differentiable) or one Rule for
    all arguments; None if no rules are given."""
    if rules is None:
        return None
    if callable(rules):
        return Rule(rules, name, args, params, extra, first)
    rules = tuple(rules)
    if nargs is not None and len(rules) != nargs:
        raise TypeError(f"primitive {name!r}: {len(rules)} rules for {nargs} arguments")
    return tuple(None if r is None else Rule(r, name, args, params, extra, first) for r in rules)


def _reads(jvp_rules, vjp_rules, batched_rules=None):
    """prim.reads: what the rule of one argument reads (a JVP: its one-tangent rule and its
    batched rule, whichever runs), with the shapes the wrappers read (the output's, to
    broadcast a tangent to it; the argument's, to sum a cotangent to it)."""
    def of(rules, argnum, nargs):
        rule = rules if isinstance(rules, Rule) else rules[argnum]
        return (None, (None,) * nargs) if rule is None else rule.reads(nargs)

    def reads(kind, argnum, nargs):
        rules = jvp_rules if kind == "jvp" else vjp_rules
        if rules is None:
            return "value", ("value",) * nargs
        out, of_args = of(rules, argnum, nargs)
        if kind == "jvp" and batched_rules is not None:
            fast_out, fast_args = of(batched_rules, argnum, nargs)
            out = _stronger(out, fast_out)
            of_args = tuple(_stronger(a, b) for a, b in zip(of_args, fast_args))
        if kind == "jvp":  # a JVP of all arguments at once: every argument's tangent
            of_args = tuple(_stronger(a, "shape") for a in of_args)
        else:
            of_args = tuple(_stronger(a, "shape") if k == argnum else a
                            for k, a in enumerate(of_args))
        return _stronger(out, "shape"), of_args
    return reads


class Scaled:
    """A partial c * a returned as its two factors, c a Python float that is a power of two (so
    that c * v is exact for any v short of overflow) and a an array: the VJP then scales a
    compact cotangent, the smaller operand, instead of a (`_times_scaled`). Made by `scaled`."""

    __slots__ = ("c", "a")

    def __init__(self, c, a):
        self.c, self.a = c, a


def scaled(c, a):
    """The partial c * a (c a Python float power of two, see Scaled): kept as its factors where
    a is large; on a small array, computed at once (the choice would cost more than it saves)."""
    return Scaled(c, a) if getattr(a, "size", 1) >= _SCALED_MIN_SIZE else c * a


_SCALED_MIN_SIZE = 8192  # elements (measured: below, the choice costs about what it saves)


# --- JVP ---------------------------------------------------------------------------------------
def _jvp(prim, rules, fast):
    """prim.jvp from one-tangent rules (and optionally faster batched ones)."""
    def one(tangents, out, values, params, nb, rules=rules, more=None):
        if isinstance(rules, Rule):
            t_out = rules.call(tangents, out, values, params, more)
        else:
            t_out = None
            for i, t in enumerate(tangents):
                rule = rules[i]
                if t is None or rule is None:
                    continue
                if prim.broadcasts:
                    t = B.lift_to_rank(t, len(values[i].shape), len(out.shape))
                c = rule.call(t, out, values, params, more)
                if c is not None:
                    t_out = c if t_out is None else t_out + c
        return _to_output_shape(t_out, tangents, out, nb)

    def jvp(tangents, out, values, params, nb):
        if not nb:
            return one(tangents, out, values, params, 0)
        if fast is not None and shortcuts.batched_rules:
            if fast == "same":
                return one(tangents, out, values, params, nb)
            return one(tangents, out, values, params, nb, fast, {"nb": nb})
        return _slice_by_slice(one, tangents, out, values, params, nb)
    return jvp


def _to_output_shape(t_out, tangents, out, nb):
    """A tangent contribution broadcast to batch + out.shape (None stays a zero)."""
    if t_out is None:
        return None
    target = out.shape
    if nb:
        for t in tangents:
            if t is not None:
                target = t.shape[:nb] + target
                break
    return t_out if t_out.shape == target else B.broadcast_to_p(t_out, shape=target)


def _slice_by_slice(one, tangents, out, values, params, nb):
    """A batch of tangents through one-tangent rules, one slice at a time (right for any rule:
    the JVP is linear in the tangent)."""
    batch = next(t.shape[:nb] for t in tangents if t is not None)
    k = int(np.prod(batch))
    flat = [None if t is None else S.reshape_p(t, shape=(k,) + t.shape[nb:]) for t in tangents]
    slices, any_nonzero = [], False
    for j in range(k):
        r = one([None if t is None else S.getitem_p(t, index=(j,), lead=0) for t in flat], out,
                values, params, 0)
        if r is None:
            r = np.zeros(out.shape, dtype=out.dtype)
        else:
            any_nonzero = True
        slices.append(S.reshape_p(r, shape=(1,) + out.shape))
    if not any_nonzero:
        return None
    stacked = S.concatenate_p(*slices, axis=0) if k > 1 else slices[0]
    return S.reshape_p(stacked, shape=batch + out.shape)


def _diagonal_jvp(prim, partials):
    def jvp(tangents, out, values, params, nb):
        t_out = None
        rank = len(out.shape)
        for i, t in enumerate(tangents):
            partial = partials[i]
            if t is None or partial is None:
                continue
            if len(values[i].shape) != rank:  # batch axes stay in front
                t = B.lift_to_rank(t, len(values[i].shape), rank)
            kind = partial.kind  # (the partial's value and kind, as in the VJP below)
            if kind is _COMPUTED:
                k = partial.only_arg
                p = partial.fn(values[k]) if k is not None else \
                    partial.partial(out, values, params)
                tp = type(p)  # (_special inline for the common types: the hot path)
                kind = (_MASK if p.dtype.kind == "b" else None) if tp is np.ndarray else \
                    None if tp in _ORDINARY else \
                    _NUMBER_KINDS.get(p) if tp is float or tp is int else _special(p)
            else:
                p = partial.constant
            if kind is None:  # an ordinary factor
                t_out = t * p if t_out is None else t_out + t * p
                continue
            if kind is _ZERO:
                continue
            if kind is _SCALED:
                term = _times_scaled(t, p, reassociate=False)  # (a tangent is not compact)
                t_out = term if t_out is None else t_out + term
                continue
            term = E.where_p(p, t, 0.0) if kind is _MASK else t  # (1 or -1: t itself)
            if t_out is None:
                t_out = -term if kind is _MINUS_ONE else term
            else:
                t_out = t_out - term if kind is _MINUS_ONE else t_out + term
        if t_out is None or (not nb and t_out.shape == out.shape):  # (the common case inline)
            return t_out
        return _to_output_shape(t_out, tangents, out, nb)
    return jvp


_ONE, _MINUS_ONE, _ZERO, _MASK, _SCALED = "one", "minus one", "zero", "mask", "scaled"
# types of partials that are always ordinary factors (tested inline, before calling _special):
# a NumPy float, and derivative levels' values (masks are made on innermost values, `_const`)
_ORDINARY = frozenset((np.float64, Dual, Node))
_NUMBER_KINDS = {1: _ONE, -1: _MINUS_ONE, 0: _ZERO}  # of a Python number (-0.0 is a zero too)
_COMPUTED = "computed at each application"  # a partial's kind before it is known


def _special(partial):
    """Which special value a partial is: 1, -1 or 0 (the tangent itself, negated, or a zero),
    a boolean mask (the tangent where True, else 0), or None for an ordinary factor."""
    tp = type(partial)
    if tp is Scaled:
        return _SCALED
    if tp is not int and tp is not float and tp is not np.ndarray and tp is not np.bool_ and \
            not (isinstance(partial, Tracer) and partial.stages_values):
        return None  # (an ordinary factor: a Tracer, a NumPy scalar; the common case first)
    if tp is int or tp is float:
        return _ONE if partial == 1 else _MINUS_ONE if partial == -1 else \
            _ZERO if partial == 0 else None
    if (tp is np.ndarray and partial.dtype == bool) or tp is np.bool_:
        return _MASK  # np.bool_: the mask of a 0-d value (a ufunc of a 0-d array gives one)
    if isinstance(partial, Tracer) and partial.stages_values and partial.dtype == bool:
        return _MASK  # a mask ad.jit stages (core.tracer.bottom): a mask all the same
    return None


# --- VJP ---------------------------------------------------------------------------------------
def _vjp(prim, rules):
    """prim.vjp from per-argument rules (or one for all): a compact cotangent is expanded for
    them, and a cotangent summed back to its argument's shape where arguments broadcast."""
    def vjp(argnum, g, out, values, params):
        rule = rules if isinstance(rules, Rule) else rules[argnum]
        if rule is None:
            return None
        if g.shape != out.shape:  # compact: these rules want the full cotangent
            g = B.broadcast_to_p(g, shape=out.shape)
        c = rule.call(g, out, values, params, {"argnum": argnum})
        if c is None:
            return None
        if not prim.builtin:  # a user's rule: its result checked here, not deep in the sweep
            c = _checked_cotangent(prim, argnum, c, values[argnum])
        return _to_argument_shape(prim, _to_real(c, values[argnum]), values[argnum].shape, None)
    return vjp


def _checked_cotangent(prim, argnum, c, x):
    """A user VJP rule's cotangent for argument x: an array of x's shape (or of the shape of
    the broadcast arguments, which broadcasts=True sums back to x's). Numbers become arrays."""
    if not isinstance(c, (np.ndarray, Tracer)):
        try:
            array = np.asarray(c)
        except Exception:
            array = None
        if array is None or array.dtype.kind not in "biufc":
            raise TypeError(f"primitive {prim.name!r}: its VJP rule for argument "
                            f"{prim.args[argnum]!r} returned a {type(c).__name__}, not an array "
                            "(the cotangent of that argument)")
        c = array
    want = x.shape
    if c.shape != want:
        try:
            fits = prim.broadcasts and np.broadcast_shapes(c.shape, want) == c.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"primitive {prim.name!r}: its VJP rule for argument "
                             f"{prim.args[argnum]!r} returned a cotangent of shape {c.shape}; "
                             f"the argument has shape {want}")
    return c


def _diagonal_vjp(prim, partials):
    """g * partial, for g full or compact (uniform along unit axes: it broadcasts)."""
    def vjp(argnum, g, out, values, params):
        partial = partials[argnum]
        if partial is None:
            return None
        kind = partial.kind  # (the partial's value and kind, as in the JVP above)
        if kind is _COMPUTED:
            k = partial.only_arg
            p = partial.fn(values[k]) if k is not None else partial.partial(out, values, params)
            tp = type(p)
            kind = (_MASK if p.dtype.kind == "b" else None) if tp is np.ndarray else \
                None if tp in _ORDINARY else \
                _NUMBER_KINDS.get(p) if tp is float or tp is int else _special(p)
        else:
            p = partial.constant
        if kind is _ZERO:
            return None
        c = g * p if kind is None else g if kind is _ONE else -g if kind is _MINUS_ONE else \
            E.where_p(p, g, 0.0) if kind is _MASK else _times_scaled(g, p)
        dtype = getattr(c, "dtype", None)
        if dtype is not None and dtype.kind == "c":  # (a real one, the common case, as it is)
            c = _to_real(c, values[argnum])
        shape = values[argnum].shape
        if c.shape == shape and g.shape == out.shape:
            return c
        return _to_argument_shape(prim, c, shape, out.shape if g.shape != out.shape else None)
    return vjp


def _times_scaled(g, s, reassociate=True):
    """g * (c * a) for a partial s = Scaled(c, a), computing c * a (fresh, so the product goes
    into it in place) unless g is smaller than a (a compact cotangent, as compact_cotangents
    leaves a sum's): then (c * g) * a, one pass over a and no full-size temporary. That order
    depends on shapes only (so ad.jit replays it) and gives the same bits, c being a power of
    two, unless c * g or c * a overflows. c * g is tested (on a cotangent without derivative
    levels: the test then covers every product) and where it overflows the order is the other
    one; where c * a overflows, (c * g) * a is the finite one of the two: |a| > 2**1023 (then
    square's output overflowed too), or a's tangent that large (an hvp along such a direction:
    f itself finite; not tested, as that would cost the pass this order saves)."""
    c, a = s.c, s.a
    if reassociate and g.size < a.size and shortcuts.compact_cotangents and bottom(g) is g:
        cg = c * g
        if not _has_inf(cg):
            return cg * a
    p = c * a
    if type(p) is np.ndarray and type(g) is np.ndarray and g.shape == p.shape and \
            g.dtype == p.dtype and _same_layout(g, p):
        return np.multiply(g, p, out=p)  # (the bits of g * p, without a second array)
    return g * p


def _same_layout(g, p):
    """Whether g * p would be laid out as p is (both C- or both F-ordered), so that writing it
    into p changes nothing downstream: for g C- and p F-ordered (a transposed x), g * p is
    C-ordered, and sums over it (an unbroadcast) add in the order of its layout."""
    gf, pf = g.flags, p.flags
    return (gf.c_contiguous and pf.c_contiguous) or (gf.f_contiguous and pf.f_contiguous)


def _has_inf(v):
    """Whether v holds an infinity (a guard under ad.jit); quick on one element."""
    if type(v) is np.ndarray:
        return cmath.isinf(v.item()) if v.size == 1 else bool(np.isinf(v).any())
    return bool(np.any(np.isinf(v)))


def _to_real(c, value):
    """The cotangent of a real argument is real: a complex c pairs with a real tangent t as
    Re(c t) = Re(c) t (see primitives/complex.py), so it is Re(c)."""
    dtype = getattr(c, "dtype", None)
    if dtype is not None and dtype.kind == "c":
        vdtype = getattr(value, "dtype", None)
        if vdtype is None or vdtype.kind != "c":
            return C.real_p(c)
    return c


def _to_argument_shape(prim, c, shape, full):
    """A cotangent summed over the axes its argument was broadcast along, and expanded from
    compact unless compact cotangents are on."""
    if prim.broadcasts:
        c = B.unbroadcast(c, shape, full)
    if c.shape != shape and not shortcuts.compact_cotangents:
        c = B.broadcast_to_p(c, shape=shape)
    return c


# The modules of the primitives the wrappers apply (reshape, broadcast_to, where, ...), which are
# themselves declared with `declare`: bound by autodiff/primitives/__init__.py once all exist.
S = B = E = C = None
