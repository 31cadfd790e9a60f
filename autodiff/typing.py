"""Type aliases for autodiff's public signatures, so that editors and mypy can help users.

    from autodiff.typing import ArrayLike, PyTree

They describe, they do not check: inside a transform the values a function sees are traced
(`Tracer`s standing in for arrays), and pytrees are nested dicts, lists and tuples of any depth,
which static types cannot follow, so those parts are `Any`.
"""
from typing import Any, Callable, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from .core.tracer import Tracer

Array = Union[np.ndarray, Tracer]  # a result: an ndarray, or a traced one inside another transform
ArrayLike = Union[npt.ArrayLike, Tracer]  # an input: anything np.asarray takes, or a traced value
PyTree = Any  # nested dicts / lists / tuples (namedtuples too) whose leaves are arrays or numbers
ArgNums = Union[int, Sequence[int]]  # which positional arguments to differentiate

Fun = Callable[..., Any]  # a function of arrays / pytrees (its output: an array or a pytree)
ScalarFun = Callable[..., Any]  # a function returning a scalar (or (scalar, aux) with has_aux)
VJPFun = Callable[[PyTree], Tuple[PyTree, ...]]  # cotangent -> one cotangent per primal
HVPFun = Callable[[PyTree], PyTree]  # v -> H(x) v
Rule = Callable[..., Any]  # a derivative rule of a primitive (see autodiff.extend)
Rules = Union[Rule, Sequence[Optional[Rule]]]  # one for all arguments, or one per argument

__all__ = ["Array", "ArrayLike", "PyTree", "ArgNums", "Fun", "ScalarFun", "VJPFun", "HVPFun",
           "Rule", "Rules"]
