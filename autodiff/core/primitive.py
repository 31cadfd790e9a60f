"""The primitive registry, and the contract between a primitive and the traces.

The traces know a primitive only through these attributes (`autodiff.primitives.declaration`
builds them from per-argument rules; `autodiff.extend` is the user-facing way):

  impl(*values, **params)                     the NumPy computation
  jvp(tangents, out, values, params, nb)      the output's tangent, of shape batch + out.shape
                                              (nb leading batch axes), or None for a zero;
                                              tangents[i] is None (a zero) or of shape
                                              batch + values[i].shape
  vjp(argnum, g, out, values, params)         the cotangent of argument argnum, of its shape or
                                              compact (unit axes where it is uniform), or None;
                                              g has out's shape or is compact itself
  reads(kind, argnum, nargs)                  what the rule of argument argnum reads (kind "jvp"
                                              or "vjp"): (of the output, of each of the nargs
                                              arguments), each None, "shape" or "value"; the
                                              tapes keep no more
  vjp_accumulate (optional)                   buffer, g, lead, *values, **params -> buffer: the
                                              VJP added into a plain buffer in place (a scatter)

Rules are written with autodiff's own differentiable functions, so a rule applied to dual
numbers is itself differentiated: forward-over-reverse and any nesting follow.
"""
from .tracer import bind

REGISTRY = {}


class Primitive:
    """A named operation the traces know how to differentiate (see the module's contract).

    Descriptive attributes, read by the layers above and never by the traces: `args` (argument
    names), `builtin` (autodiff's own: its name cannot be taken), `broadcasts` (arguments
    broadcast against each other), `linear` (linear in its traced arguments), `sparsity` (a
    structural tag for sparsity detection), `batching` (how its JVP takes a batch of tangents:
    "elementwise", "same" or "rules", else one tangent at a time), `numpy` (the NumPy names it
    serves), `scipy` (the SciPy names, as "special.gammaln"), `function`
    (the user-facing function serving them), `samples` (sample inputs for the registry-wide
    tests) and `doc`.
    """

    __slots__ = ("name", "impl", "jvp", "vjp", "reads", "vjp_accumulate", "args", "builtin",
                 "broadcasts", "linear", "sparsity", "numpy", "scipy", "function", "samples",
                 "doc", "batching", "residual_plans")

    def __init__(self, name, impl, jvp=None, vjp=None, reads=None, *, args=(), builtin=False,
                 broadcasts=False, linear=False, sparsity=None, numpy=(), scipy=(),
                 function=None, samples=None, doc=None):
        self.name, self.impl = name, impl
        self.jvp = jvp if jvp is not None else _no_rule(name, "JVP")
        self.vjp = vjp if vjp is not None else _no_rule(name, "VJP")
        self.reads = reads if reads is not None else _reads_everything
        self.vjp_accumulate = None
        self.args, self.builtin, self.broadcasts, self.linear = tuple(args), builtin, \
            broadcasts, linear
        self.sparsity, self.numpy, self.scipy = sparsity, tuple(numpy), tuple(scipy)
        self.samples, self.doc = samples, doc
        self.function = function if function is not None else self
        self.batching = None  # how a batch of tangents goes through the JVP (for the docs)
        self.residual_plans = {}  # cache of core/residuals.plan

    __call__ = bind  # prim(*args, **params) is bind(prim, *args, **params), with no call between

    def __repr__(self):
        return f"<primitive {self.name}>"


def _no_rule(name, kind):
    def missing(*args):
        raise NotImplementedError(f"primitive {name!r} has no {kind} rule")
    return missing


def _reads_everything(kind, argnum, nargs):
    return "value", ("value",) * nargs


def register(prim):
    """Add a primitive to the registry. Redefining one of your own (a notebook cell run again)
    replaces it; a name autodiff itself uses is refused."""
    old = REGISTRY.get(prim.name)
    if old is not None and old.builtin and not prim.builtin:
        raise ValueError(f"primitive {prim.name!r} is one of autodiff's own; choose another name")
    if old is not None and old.builtin and prim.builtin:
        raise ValueError(f"built-in primitive {prim.name!r} is declared twice")
    REGISTRY[prim.name] = prim
    return prim
