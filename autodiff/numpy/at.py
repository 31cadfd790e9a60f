"""Functional index updates, as JAX's `x.at[idx]`: traced values are immutable, so
`x.at[idx].set(v)` returns a new array equal to x with x[idx] replaced by v (`add`, `multiply`,
`divide`, `min`, `max`, `get` likewise). Differentiable in x and v.

Repeated indices follow NumPy's rules for the same update on a plain array: `set` keeps the
last value given for an element (as `x[idx] = v`), `add` accumulates them (as `np.add.at`);
`multiply`, `divide`, `min` and `max` with repeated indices are refused (NumPy's `x[idx] *= v`
would apply only one of them)."""
from typing import Any, Callable

import numpy as np

from ..primitives import shape as S, elementwise as E, broadcasting as B
from ..typing import Array, ArrayLike


class IndexUpdates:
    """`x.at`: index it to say which elements to update."""

    __slots__ = ("x",)

    def __init__(self, x: Array) -> None:
        self.x = x

    def __getitem__(self, index: Any) -> "IndexUpdate":
        return IndexUpdate(self.x, index)

    def __repr__(self) -> str:
        return "x.at[index].set(v) / .add(v) / .multiply(v) / .divide(v) / .min(v) / .max(v)"


class IndexUpdate:
    """`x.at[index]`: the update to apply."""

    __slots__ = ("x", "index", "positions")

    def __init__(self, x: Array, index: Any) -> None:
        shape = S.shape_of(x)
        self.x, self.index = x, S.canonical_index(index, shape)
        # which element of x each element of x[index] is (NumPy checks the bounds here)
        self.positions = np.arange(int(np.prod(shape))).reshape(shape)[self.index]

    def get(self) -> Array:
        """x[index]."""
        return S.getitem(self.x, self.index)

    def _values(self, v: ArrayLike) -> Array:
        return B.broadcast_to(_as_float(v, self.x), self.positions.shape)

    def add(self, v: ArrayLike) -> Array:
        """x with v added at index (repeated indices accumulate)."""
        scattered = S.index_add_p(self._values(v), index=self.index, shape=S.shape_of(self.x),
                                  lead=0)
        return self.x + scattered

    def set(self, v: ArrayLike) -> Array:
        """x with x[index] replaced by v (for a repeated index, the last value given)."""
        shape = S.shape_of(self.x)
        flat = self.positions.ravel()
        if not flat.size:
            return self.x
        # the last occurrence of each updated element, as an entry of the flattened values
        last = flat.size - 1 - np.unique(flat[::-1], return_index=True)[1]
        source = np.zeros(int(np.prod(shape)), dtype=np.intp)  # the value each element takes
        updated = np.zeros(source.shape, dtype=bool)
        source[flat[last]], updated[flat[last]] = last, True
        values = S.getitem(S.reshape(self._values(v), (-1,)), (source,))
        return E.where(updated.reshape(shape), S.reshape(values, shape), self.x)

    def _elementwise(self, name: str, op: Callable[..., Array], v: ArrayLike) -> Array:
        flat = self.positions.ravel()
        if np.unique(flat).size != flat.size:
            raise ValueError(f"x.at[index].{name}(v) with repeated indices is ambiguous (NumPy "
                             f"would apply only one of them); use .add, or combine the repeated "
                             "entries of v first")
        return self.set(op(self.get(), self._values(v)))

    def multiply(self, v: ArrayLike) -> Array:
        """x with x[index] multiplied by v."""
        return self._elementwise("multiply", E.multiply, v)

    def divide(self, v: ArrayLike) -> Array:
        """x with x[index] divided by v."""
        return self._elementwise("divide", E.divide, v)

    def min(self, v: ArrayLike) -> Array:  # noqa: A003 (JAX's name)
        """x with x[index] replaced by minimum(x[index], v)."""
        return self._elementwise("min", E.minimum, v)

    def max(self, v: ArrayLike) -> Array:  # noqa: A003 (JAX's name)
        """x with x[index] replaced by maximum(x[index], v)."""
        return self._elementwise("max", E.maximum, v)


def _as_float(v, x):
    """v as an array of x's float type (lists and scalars too; traced values as they are)."""
    if hasattr(v, "_trace"):
        return v
    return np.asarray(v, dtype=np.result_type(S.dtype_of(x), 1.0))
