"""Which function serves each NumPy name. Every name is said once: in a primitive's declaration
(`declare(..., numpy=("exp",))`, for the primitives that are NumPy functions themselves) or by
`@serves("mean")` on the function of this package that implements it (compositions of
primitives, and NumPy's full signatures over them); "linalg.inv" names np.linalg.inv."""
from typing import Any, Callable, Dict, TypeVar

Fn = TypeVar("Fn", bound=Callable[..., Any])

SERVED: Dict[str, Callable[..., Any]] = {}  # NumPy name -> function


def serves(*names: str) -> Callable[[Fn], Fn]:
    """Decorator: the function serves these NumPy names (its own name if none is given)."""
    def register(fn: Fn) -> Fn:
        for name in names or (fn.__name__,):
            claim(name, fn)
        return fn
    return register


def claim(name, fn):
    if name in SERVED and SERVED[name] is not fn:
        raise ValueError(f"NumPy name {name!r} is served twice: by {SERVED[name]} and {fn}")
    SERVED[name] = fn
