"""The primitive registry: each primitive's NumPy impl, JVP rule and VJP rule in one object.

Rules are written with autodiff's own differentiable functions, never raw NumPy on traced
values, so a rule applied to dual numbers is itself differentiated: that is what makes the
reverse sweep run on duals (forward-over-reverse) and any nesting of transforms work.

Rule signatures (`out` is the primal output, `args` the primal inputs, `params` the keywords):
  per-argument JVP  rule(t, out, *args, **params) -> tangent contribution of argument i
  per-argument VJP  rule(g, out, *args, **params) -> cotangent of argument i
  variadic JVP      jvp_all(tangents, out, *args, **params), tangents[i] None for zero
  variadic VJP      vjp_all(i, g, out, *args, **params)
A JVP tangent may carry leading batch axes: tangent.shape == batch + primal.shape, and rules
find the batch as the extra leading axes (see `batch_ndim`).
"""
from .tracer import bind

REGISTRY = {}


class Primitive:
    """A named operation the tracers know how to differentiate."""

    __slots__ = ("name", "impl", "family", "broadcasts", "jvp_rules", "jvp_all",
                 "vjp_rules", "vjp_all", "vjp_accumulate", "doc", "residual_plans")

    def __init__(self, name, impl, family, broadcasts=False, doc=None):
        self.name = name
        self.impl = impl
        self.family = family
        # broadcasts: arguments' shapes broadcast (right-aligned) against each other to the
        # output's leading axes, so tangents are lifted to the output's rank before a rule and
        # cotangents summed back to each argument's shape after one (`unbroadcast`).
        self.broadcasts = broadcasts
        self.jvp_rules = self.jvp_all = self.vjp_rules = self.vjp_all = None
        # Optional, for primitives whose VJP scatters into a larger zero array (getitem): add
        # into the parent's cotangent buffer in place instead (see core/accumulate.py):
        # vjp_accumulate(buffer or None, g, lead, *args, **params) -> buffer, where g and the
        # buffer are plain arrays with `lead` extra leading batch axes over the argument.
        self.vjp_accumulate = None
        self.doc = doc
        # what a tape keeps per traced-argument set (core/residuals); set rules through
        # defjvp / defvjp / defdiagonal (or clear this) so that it is recomputed
        self.residual_plans = None

    def __call__(self, *args, **params):
        return bind(self, *args, **params)

    def __repr__(self):
        return f"<primitive {self.name}>"


BUILTIN_FAMILIES = ("elementwise", "reductions", "shape", "products", "linalg")


def primitive(name, impl, family, broadcasts=False, doc=None):
    """Create and register a primitive. Redefining one of your own (a notebook cell run again)
    replaces it; a name autodiff itself uses is refused."""
    if name in REGISTRY and REGISTRY[name].family in BUILTIN_FAMILIES:
        raise ValueError(f"primitive {name!r} is one of autodiff's own; choose another name")
    prim = Primitive(name, impl, family, broadcasts, doc)
    REGISTRY[name] = prim
    return prim


def defjvp(prim, *rules):
    """Per-argument JVP rules; None marks an argument that is not differentiable."""
    prim.jvp_rules = rules
    prim.residual_plans = None


def defvjp(prim, *rules):
    """Per-argument VJP rules; None marks an argument that is not differentiable."""
    prim.vjp_rules = rules
    prim.residual_plans = None


def defdiagonal(prim, *partials):
    """Elementwise primitives: the Jacobian is diagonal, so one rule `t * d out/d arg_i`
    serves as both the JVP (t a tangent) and the VJP (t a cotangent)."""
    prim.jvp_rules = partials
    prim.vjp_rules = partials
    prim.residual_plans = None


def batch_ndim(t, x):
    """Number of leading batch axes a tangent `t` carries over its primal `x`."""
    return len(t.shape) - len(x.shape)
