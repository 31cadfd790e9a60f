"""Sample inputs of a primitive, declared with it (`declare(..., samples=[...])`) for the
registry-wide tests (tests/internals/test_primitives.py), which check every built-in primitive
on them. They are specs, drawn only by the tests with a seeded generator: importing autodiff
draws no random numbers.

A sample is a tuple of arguments for the primitive's function (`prim.function`: the primitive
itself, or the function serving its NumPy names), each an array spec:

    (uniform(2, 3), positive(3))                   f(x, y), x in [-1, 1), y in [0.5, 2)
    call(uniform(2, 3), axis=(1,), keepdims=False) with constant keywords (parameters)
    through(lambda x: x ** 3, uniform(4))          another function of the arguments (an
                                                   operator, or a wrapper making an output
                                                   testable)

Every argument is differentiated, so constants go in keywords or in the function of `through`.
"""
import numpy as np


class Spec:
    """An array to draw: draw(rng) -> a float array."""

    __slots__ = ("text", "_draw")

    def __init__(self, text, draw):
        self.text, self._draw = text, draw

    def draw(self, rng):
        return np.asarray(self._draw(rng), dtype=float)

    def __mul__(self, factor):
        return Spec(f"{self.text} * {factor!r}", lambda rng: self._draw(rng) * factor)

    __rmul__ = __mul__

    def __repr__(self):
        return self.text


def uniform(*shape, lo=-1.0, hi=1.0):
    """Uniform in [lo, hi)."""
    return Spec(f"uniform{shape} in [{lo}, {hi})", lambda rng: rng.uniform(lo, hi, size=shape))


def positive(*shape):
    """Uniform in [0.5, 2): away from 0, for logarithms, roots and divisors."""
    return uniform(*shape, lo=0.5, hi=2.0)


def values(data):
    """Fixed values (ties and kinks placed on purpose)."""
    return Spec(f"values({data!r})", lambda rng: np.array(data, dtype=float))


def well_conditioned(n):
    """An n x n matrix uniform in [-1, 1) plus n times the identity."""
    return Spec(f"well_conditioned({n})", lambda rng: rng.uniform(-1, 1, (n, n)) + n * np.eye(n))


def spd(n):
    """A symmetric positive-definite n x n matrix, B B^T + n I."""
    def draw(rng):
        b = rng.uniform(-1, 1, (n, n))
        return b @ b.T + n * np.eye(n)
    return Spec(f"spd({n})", draw)


def distinct_spectrum(n):
    """A symmetric n x n matrix with eigenvalues 1, 4, 9, ... (well apart) in a random basis."""
    def draw(rng):
        q, _ = np.linalg.qr(rng.uniform(-1, 1, (n, n)))
        return q @ np.diag(np.arange(1.0, n + 1) ** 2) @ q.T
    return Spec(f"distinct_spectrum({n})", draw)


def nondefective(n, kind):
    """A general n x n matrix S D S^-1 (n >= 3), S uniform in [-1, 1) plus n I, with distinct
    eigenvalues 1, 2.5, -2, ... (kind "real") or 1 +- i, -2, ... (kind "complex pair")."""
    def draw(rng):
        s = rng.uniform(-1, 1, (n, n)) + n * np.eye(n)
        d = np.diag(np.concatenate([[1.0, 2.5], -2.0 - np.arange(n - 2)]))
        if kind == "complex pair":
            d[:2, :2] = [[1.0, 2.0], [-0.5, 1.0]]
        return s @ d @ np.linalg.inv(s)
    return Spec(f"nondefective({n}, {kind!r})", draw)


class Sample:
    """Arguments (specs) for `fn` (None: the primitive's function), with constant keywords."""

    __slots__ = ("fn", "args", "keywords")

    def __init__(self, fn, args, keywords):
        bad = [a for a in args if not isinstance(a, Spec)]
        if bad:
            raise TypeError(f"a sample's arguments are specs (uniform(2, 3), values([...]), ...),"
                            f" got {bad[0]!r}")
        self.fn, self.args, self.keywords = fn, tuple(args), dict(keywords)

    def draw(self, prim, rng):
        """(the function of the drawn arrays, the arrays) for a check."""
        fn, keywords = prim.function if self.fn is None else self.fn, self.keywords
        if keywords:
            def with_keywords(*arrays):
                return fn(*arrays, **keywords)
            return with_keywords, tuple(a.draw(rng) for a in self.args)
        return fn, tuple(a.draw(rng) for a in self.args)

    def __repr__(self):
        args = ", ".join([repr(a) for a in self.args]
                         + [f"{k}={v!r}" for k, v in self.keywords.items()])
        return f"sample({args})" if self.fn is None else f"through({self.fn!r}, {args})"


def call(*args, **keywords):
    """The primitive's function of these arguments, with these constant keywords."""
    return Sample(None, args, keywords)


def through(fn, *args):
    """fn of these arguments, for a primitive tested inside a function (an operator such as
    x ** 3, a wrapper, or invariants of an output that is only defined up to signs)."""
    return Sample(fn, args, {})


def as_samples(prim_name, samples):
    """A declaration's samples as Sample objects (a plain tuple is the function's arguments)."""
    if samples is None:
        return ()
    if not isinstance(samples, list):
        raise TypeError(f"primitive {prim_name!r}: samples is a list of samples "
                        f"([(uniform(3),), ...]), got {samples!r}")
    out = []
    for s in samples:
        if isinstance(s, tuple):
            s = Sample(None, s, {})
        elif not isinstance(s, Sample):
            raise TypeError(f"primitive {prim_name!r}: a sample is a tuple of argument specs, "
                            f"call(...) or through(...), got {s!r}")
        out.append(s)
    return tuple(out)
