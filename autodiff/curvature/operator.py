"""The Hessian as a scipy LinearOperator backed by exact HVPs."""
import numpy as np

from ..optimize._scipy import require_scipy
from ..pytree import ravel_pytree
from ..transforms import hvp_fn


def hessian_operator(f, x, args=()):
    """H(x) of f(x, *args) as a `scipy.sparse.linalg.LinearOperator` on flat vectors (x may be a
    pytree: the operator's `.unravel` maps a flat vector back). The gradient is recorded once;
    each matvec is one reverse sweep. The matrix itself is never formed."""
    scipy = require_scipy()
    flat, unravel = ravel_pytree(x)
    product = hvp_fn(lambda z: f(unravel(z), *args), flat)

    def matvec(v):
        return np.asarray(product(np.asarray(v, dtype=float).reshape(flat.shape)), dtype=float)

    def matmat(V):
        return np.column_stack([matvec(V[:, j]) for j in range(V.shape[1])])

    op = scipy.sparse.linalg.LinearOperator((flat.size, flat.size), matvec=matvec,
                                            rmatvec=matvec, matmat=matmat, dtype=float)
    op.unravel = unravel
    op.x = flat
    return op
