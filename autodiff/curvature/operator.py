"""The Hessian as a scipy LinearOperator backed by exact HVPs."""
from typing import TYPE_CHECKING, Any, List, Optional

import numpy as np

from .._optional import require_scipy
from ..distributed import Shipment, check_executor
from ..hessian_products import HessianColumns, times_matrix
from ..pytree import ravel_pytree
from ..staged_calls import use_staging
from ..transforms import hvp_fn
from ..typing import PyTree, ScalarFun

if TYPE_CHECKING:  # scipy is optional: imported for the annotations only
    import scipy.sparse.linalg


def hessian_operator(f: ScalarFun, x: PyTree, args: Any = (), *, chunk_size: Optional[int] = None,
                     executor: Any = None,
                     jit: Optional[bool] = None) -> "scipy.sparse.linalg.LinearOperator":
    """H(x) of f(x, *args) as a `scipy.sparse.linalg.LinearOperator` on flat vectors (x may be a
    pytree: the operator's `.unravel` maps a flat vector back). The matrix is never formed:
    the gradient is recorded once and a matvec is one reverse sweep over it; a matmat
    (`op @ V`) pushes V's columns as batched tangents through forward-over-reverse sweeps,
    `chunk_size` columns per sweep (see hessian_times_matrix). args are data, held fixed
    (a non-tuple is one argument, as in scipy). With an `executor` (a concurrent.futures
    Executor or a dask.distributed Client) the matmat's chunks run on its workers, f, x and
    args sent once for all products; a matvec (one direction) stays in this process.

    jit: matvecs and matmats repeated (Lanczos, Hutchinson) are staged with ad.jit, recorded
    after a few calls and replayed after where that pays, with the same numbers; f's Python
    runs once per recording; array args are arguments of the recordings, not copied into
    them. None (the default) follows ad.shortcuts 'staged_toolkit'; False never stages."""
    scipy = require_scipy()
    use = use_staging(jit, "hessian_operator")
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    flat, unravel = ravel_pytree(x)
    flat_f = lambda z, *args: f(unravel(z), *args)  # noqa: E731
    product = hvp_fn(flat_f, flat, args=args, jit=use)
    columns = HessianColumns(flat_f, flat, use, args=args)  # its staged sweeps: every matmat
    shipment: List[Shipment] = []  # made on the first matmat, reused by the next ones
    if executor is not None:
        check_executor(executor, "hessian_operator")

    # no cast of v to float here: a complex v must be refused, not lose its imaginary part
    def matvec(v):
        return np.asarray(product(np.asarray(v).reshape(flat.shape)), dtype=float)

    def matmat(V):
        if executor is not None and not shipment:
            shipment.append(Shipment(executor, columns, "hessian_operator"))
        product = times_matrix(columns, V, chunk_size, shipment[0] if shipment else None,
                               "hessian_times_matrix")
        return np.asarray(product, dtype=float)

    op = scipy.sparse.linalg.LinearOperator((flat.size, flat.size), matvec=matvec,
                                            rmatvec=matvec, matmat=matmat, rmatmat=matmat,
                                            dtype=float)
    op.unravel = unravel
    op.x = flat
    return op
