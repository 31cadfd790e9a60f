"""Pytrees: nested dicts, lists and tuples whose leaves are arrays or numbers. Derivatives of
functions of pytrees come back in the same structure (dicts in sorted-key order, as in JAX)."""
from typing import Any, Callable, Iterable, List, Tuple

import numpy as np

from .core.tracer import bottom
from .primitives.shape import reshape
from .typing import ArrayLike, PyTree



class TreeDef:
    """The structure of a pytree, without its leaves. `kind` is 'leaf', 'none', 'dict',
    'list' or 'tuple' (tuple subclasses such as namedtuples keep their class)."""

    __slots__ = ("kind", "meta", "children", "num_leaves")
    kind: str
    meta: Any
    children: Tuple["TreeDef", ...]
    num_leaves: int

    def __init__(self, kind: str, meta: Any, children: Tuple["TreeDef", ...]) -> None:
        self.kind, self.meta, self.children = kind, meta, children
        self.num_leaves = 1 if kind == "leaf" else sum(c.num_leaves for c in children)

    def __eq__(self, other):
        return (isinstance(other, TreeDef) and self.kind == other.kind
                and self.meta == other.meta and self.children == other.children)

    def __repr__(self):
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        if self.kind == "dict":
            return "{" + ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.meta, self.children)) + "}"
        inner = ", ".join(map(repr, self.children))
        return f"[{inner}]" if self.kind == "list" else f"({inner})"


_LEAF = TreeDef("leaf", None, ())


def flatten(tree: PyTree) -> Tuple[List[Any], "TreeDef"]:
    """(list of leaves, TreeDef)."""
    leaves: List[Any] = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves):
    if isinstance(tree, dict):
        keys = sorted(tree)
        return TreeDef("dict", tuple(keys), tuple(_flatten(tree[k], leaves) for k in keys))
    if isinstance(tree, list):
        return TreeDef("list", None, tuple(_flatten(t, leaves) for t in tree))
    if isinstance(tree, tuple):
        return TreeDef("tuple", type(tree), tuple(_flatten(t, leaves) for t in tree))
    if tree is None:
        return TreeDef("none", None, ())
    leaves.append(tree)
    return _LEAF


def unflatten(treedef: "TreeDef", leaves: Iterable[Any]) -> PyTree:
    """Rebuild a pytree of structure `treedef` from an iterable of leaves."""
    return _unflatten(treedef, iter(leaves))


def _unflatten(td, it):
    if td.kind == "leaf":
        return next(it)
    if td.kind == "none":
        return None
    children = [_unflatten(c, it) for c in td.children]
    if td.kind == "dict":
        return dict(zip(td.meta, children))
    if td.kind == "list":
        return children
    cls = td.meta
    return cls(*children) if cls is not tuple and hasattr(cls, "_fields") else cls(children)


def tree_map(fn: Callable[..., Any], tree: PyTree, *rest: PyTree) -> PyTree:
    """Apply fn leafwise to pytrees of the same structure."""
    leaves, td = flatten(tree)
    others = []
    for r in rest:
        l2, td2 = flatten(r)
        if td2 != td:
            raise ValueError(f"pytree structures differ: {td} vs {td2}")
        others.append(l2)
    return unflatten(td, [fn(*xs) for xs in zip(leaves, *others)])


def ravel_pytree(tree: PyTree) -> Tuple[np.ndarray, Callable[[ArrayLike], PyTree]]:
    """(flat vector, unravel): unravel(vector) rebuilds a pytree of tree's structure,
    shapes and dtypes. Lets vector-based solvers (scipy) work on dicts of arrays. The vector is
    float, or complex if any leaf is complex (never an imaginary part dropped)."""
    leaves, td = flatten(tree)
    arrays = [np.asarray(x) for x in leaves]
    shapes = [a.shape for a in arrays]
    sizes = [a.size for a in arrays]
    dtypes = [a.dtype if a.dtype.kind in "fc" else np.dtype(np.float64) for a in arrays]
    kind = complex if any(a.dtype.kind == "c" for a in arrays) else float
    flat = np.concatenate([a.ravel().astype(kind) for a in arrays]) if arrays else np.zeros(0)

    def unravel(vector):  # traced vectors unravel differentiably
        from .primitives import complex as complex_parts  # (pytree is imported by primitives)
        if np.shape(vector) != flat.shape:
            raise ValueError(f"unravel: expected a vector of shape {flat.shape}, "
                             f"got {np.shape(vector)}")
        parts, k = [], 0
        for shape, size, dtype in zip(shapes, sizes, dtypes):
            piece = reshape(vector[k:k + size], shape)
            if dtype.kind != "c" and complex_parts.is_complex(piece):  # (dtype only: not read)
                if np.any(np.imag(bottom(piece)) != 0):  # staged under ad.jit: a guard
                    raise ValueError("unravel: the vector has imaginary parts where the tree has "
                                     f"a real leaf (of shape {shape})")
                piece = complex_parts.real(piece)  # a real leaf's part of a complex vector
            parts.append(piece.astype(dtype) if isinstance(piece, np.ndarray) else piece)
            k += size
        return unflatten(td, parts)
    return flat, unravel
