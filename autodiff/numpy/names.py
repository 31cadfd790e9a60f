"""Which function serves each NumPy name. Every name is said once: in a primitive's declaration
(`declare(..., numpy=("exp",))`, for the primitives that are NumPy functions themselves) or by
`@serves("mean")` on the function of this package that implements it (compositions of
primitives, and NumPy's full signatures over them); "linalg.inv" names np.linalg.inv."""

SERVED = {}  # NumPy name -> function


def serves(*names):
    """Decorator: the function serves these NumPy names (its own name if none is given)."""
    def register(fn):
        for name in names or (fn.__name__,):
            claim(name, fn)
        return fn
    return register


def claim(name, fn):
    if name in SERVED and SERVED[name] is not fn:
        raise ValueError(f"NumPy name {name!r} is served twice: by {SERVED[name]} and {fn}")
    SERVED[name] = fn
