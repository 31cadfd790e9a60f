"""`autodiff.numpy`: a NumPy-like namespace of differentiable functions.

    import autodiff.numpy as anp
    def f(x): return anp.sum(anp.tanh(x) ** 2)

Plain NumPy code works too (traced values implement NumPy's dispatch protocols); this namespace
is where the differentiable functions live. Names it does not define fall through to NumPy
(constants, dtypes, array constructors such as zeros, ones, eye, arange, linspace); applied to a
traced value, an unsupported NumPy function raises NotImplementedError naming it.

The namespace is read off the declarations: each built-in primitive names the NumPy functions
it serves (`declare(..., numpy=...)`), each composed function says so with `@serves`
(names.py), and nondiff.py lists the functions without a derivative.
"""
import numpy as _np

from ..core.primitive import REGISTRY as _REGISTRY
from . import functions as _F, keywords as _K, linalg, fft, nondiff as _N, names as _names
from . import arrangement, numerical  # noqa: F401  (their functions serve NumPy names)
from .dispatch import install as _install

for _prim in list(_REGISTRY.values()):
    if _prim.builtin:
        for _name in _prim.numpy:
            _names.claim(_name, _prim.function)
        for _name in _prim.scipy:
            _names.claim("scipy." + _name, _prim.function)

_namespace = {n: fn for n, fn in _names.SERVED.items() if "." not in n}
_served_by_primitives = {id(p.function) for p in _REGISTRY.values() if p.builtin}
for _name, _fn in list(_namespace.items()):  # NumPy's ufuncs take ufunc keywords (dtype, out=)
    if isinstance(getattr(_np, _name, None), _np.ufunc):
        _namespace[_name] = _K.ufunc_function(_name, _fn, _F._as_array)
    elif id(_fn) in _served_by_primitives:  # np.where, np.real: arrays only, lists read too
        _namespace[_name] = _K.list_inputs(_fn, _F._as_array)
_namespace.update(_N.NAMESPACE)
globals().update(_namespace)
_install(_namespace, *({n[len(sub) + 1:]: fn for n, fn in _names.SERVED.items()
                        if n.startswith(sub + ".")} for sub in ("linalg", "fft")))

__all__ = sorted(_namespace) + ["linalg", "fft"]


def __getattr__(name):
    try:
        return getattr(_np, name)
    except AttributeError:
        raise AttributeError(f"module 'autodiff.numpy' has no attribute {name!r}") from None
