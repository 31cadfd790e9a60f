"""Extending autodiff: primitives of your own.

    import autodiff.numpy as anp
    from autodiff.extend import primitive

    softplus = primitive("softplus", lambda x: np.logaddexp(0.0, x), broadcasts=True,
                         diagonal=[lambda out, x: anp.exp(x - out)])

A primitive is one declaration: its NumPy implementation and its derivative rules, written with
autodiff's own differentiable functions (so that every order and nesting follows). Rules name
what they read (see `autodiff.primitives.declaration` and docs/extending.md). Declaring a name
again replaces your earlier primitive (a notebook cell run twice); autodiff's own names are
refused.

Custom derivatives of your own functions, as in JAX (see `autodiff.custom_derivatives`):

    @custom_jvp
    def f(x): ...
    @f.defjvp
    def f_jvp(primals, tangents): return f(*primals), <tangent of the output>

and `custom_vjp` with `f.defvjp(fwd, bwd)`.
"""
import inspect
from typing import Any, Callable, Literal, Optional, Sequence, Union

import numpy as np

from .custom_derivatives import custom_jvp, custom_vjp
from .primitives.declaration import declare
from .core.primitive import Primitive
from .typing import Rule, Rules

__all__ = ["primitive", "custom_jvp", "custom_vjp"]


def primitive(name: str, impl: Callable[..., Any], args: Optional[Sequence[str]] = None, *,
              params: Sequence[str] = (), diagonal: Optional[Sequence[Optional[Rule]]] = None,
              jvp: Optional[Rules] = None, vjp: Optional[Rules] = None,
              batched_jvp: Union[Rules, Literal["same"], None] = None, broadcasts: bool = False,
              linear: bool = False, sparsity: Optional[str] = None,
              doc: Optional[str] = None) -> Primitive:
    """Declare your own primitive: `impl(*args, **params)` computes it on plain arrays.

    args: argument names (by default impl's positional parameters not named in `params`);
    params: keyword parameters (not differentiated). Rules, one per argument: `diagonal`
    partials for an elementwise function (d out / d arg, serving as JVP and VJP; a partial
    naming nothing is a constant: a number it returns is kept after its first use), or `jvp`
    rules `rule(t, ...)` and `vjp` rules `rule(g, ...)`, whose other parameters name what they
    read: out, an argument (or `x_shape`, `x_dtype`), a parameter. JVP rules are written for
    one tangent; a batch of tangents goes through them one at a time unless `batched_jvp`
    says how to do it at once. broadcasts: the arguments broadcast against each other. sparsity:
    a structure tag for hessian_sparsity (see autodiff.sparse.detect)."""
    if args is None:
        args = _positional_names(name, impl, params)
    return declare(name, _one_output(name, impl), tuple(args), params=tuple(params),
                   diagonal=diagonal, jvp=jvp,
                   vjp=vjp, batched_jvp=batched_jvp, broadcasts=broadcasts, linear=linear,
                   sparsity=sparsity, doc=doc or getattr(impl, "__doc__", None), builtin=False)


def _one_output(name, impl):
    """impl, checked to return one value: a primitive has one output (the rules, the tapes and
    ad.jit hold one value per application), so a tuple would fail later, deep inside. A
    NumPy ufunc is known by its number of outputs (and kept as it is: ad.jit fuses ufuncs)."""
    if isinstance(impl, np.ufunc):
        if impl.nout != 1:
            raise TypeError(f"primitive {name!r}: numpy.{impl.__name__} has {impl.nout} "
                            "outputs; a primitive has one (declare one per output)")
        return impl

    def one_output(*args, **params):
        out = impl(*args, **params)
        if isinstance(out, (tuple, list, dict)):
            raise TypeError(f"primitive {name!r}: impl returned a {type(out).__name__}; a "
                            "primitive has one output (one array): return several packed in "
                            "one array, or write a function with custom_jvp / custom_vjp, "
                            "which may return pytrees")
        return out
    one_output.__name__ = getattr(impl, "__name__", name)
    one_output.__doc__ = getattr(impl, "__doc__", None)
    return one_output


def _positional_names(name, impl, params):
    if isinstance(impl, np.ufunc):  # NumPy's own names (older NumPy gives no signature)
        return ("x",) if impl.nin == 1 else tuple(f"x{i + 1}" for i in range(impl.nin))
    try:
        parameters = inspect.signature(impl).parameters.values()
    except (TypeError, ValueError):
        raise TypeError(f"primitive {name!r}: pass args=(names of the arguments); the "
                        "signature of its implementation cannot be read") from None
    return tuple(p.name for p in parameters
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in params
                 and p.default is p.empty)
