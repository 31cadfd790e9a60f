"""Batches of tangents known to be rows of the identity (the shortcut "basis_products").

jacfwd and hessian push chunks of the identity through f as batched tangents. A product with
such a batch needs no arithmetic: a @ e_c is column c of a. `jacfwd` marks the chunks it makes
(`Scope.mark`), reshape and slicing keep the mark on their results, and matmul's batched rules
read it (`known`) to gather or place columns instead of multiplying by ones and zeros.

A mark is a statement about an array's contents, whatever trace carries it: row r of
`array.reshape(k, -1)` is zero but for a one at column r + shift when first <= r < stop, and
all zero for the other rows. Marks are looked up by the array's id and hold the array, so an id
cannot be reused while marked; they live as long as the `Scope` (one jacfwd chunk) that made
them. An array not found is simply multiplied: a lost mark costs time, never a wrong result.
"""

_known = {}  # id(array) -> Basis; empty unless a jacfwd chunk with the shortcut on is running


class Basis:
    """The mark of one array (see the module docstring)."""

    __slots__ = ("array", "first", "stop", "shift", "scope")

    def __init__(self, array, first, stop, shift, scope):
        self.array, self.first, self.stop, self.shift = array, first, stop, shift
        self.scope = scope

    def columns(self):
        """(first, stop, first column): rows first..stop-1 are one at consecutive columns."""
        return self.first, self.stop, self.first + self.shift

    def derive(self, array, first=None, stop=None, shift=None):
        """Mark `array`, derived from this one (a reshape or a slice), in the same scope."""
        self.scope.mark(array, self.first if first is None else first,
                        self.stop if stop is None else stop,
                        self.shift if shift is None else shift)


def known(t):
    """The mark of t, a batch of identity rows, or None."""
    if not _known:
        return None
    b = _known.get(id(t))
    return b if b is not None and b.array is t else None


class Scope:
    """The marks of one jacfwd chunk, dropped when it ends (a `with` block)."""

    def __init__(self):
        self.ids = []

    def mark(self, array, first, stop, shift):
        _known[id(array)] = Basis(array, first, stop, shift, self)
        self.ids.append(id(array))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for i in self.ids:
            b = _known.get(i)
            if b is not None and b.scope is self:
                del _known[i]
        self.ids = []
