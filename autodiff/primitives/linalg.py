"""Linear-algebra primitives on the last two axes (leading axes broadcast): inv, solve and
the log-absolute-determinant (slogdet and det build on it)."""
import numpy as np

from ..core.primitive import primitive, defjvp, defvjp
from .products import matmul_p, swap_last
from .reductions import sum_p
from .shape import reshape_p, shape_of

F = "linalg"

inv_p = primitive("inv", np.linalg.inv, F)
defjvp(inv_p, lambda t, out, a: -matmul_p(matmul_p(out, t), out))
defvjp(inv_p, lambda g, out, a: -matmul_p(matmul_p(swap_last(out), g), swap_last(out)))

solve_p = primitive("solve", np.linalg.solve, F, broadcasts=True,
                    doc="solve(a, b) for b of rank >= 2 (the wrapper handles vectors)")
defjvp(solve_p, lambda t, out, a, b: -solve_p(a, matmul_p(t, out)),
       lambda t, out, a, b: solve_p(a, t))


def _solve_vjp_b(g, out, a, b):
    return solve_p(swap_last(a), g)


defvjp(solve_p, lambda g, out, a, b: -matmul_p(_solve_vjp_b(g, out, a, b), swap_last(out)),
       _solve_vjp_b)

logabsdet_p = primitive("logabsdet", lambda a: np.linalg.slogdet(a)[1], F,
                        doc="log |det a| (the second output of np.linalg.slogdet)")


def _logabsdet_jvp(t, out, a):
    nd = len(t.shape)
    return sum_p(swap_last(inv_p(a)) * t, axis=(nd - 2, nd - 1), keepdims=False)


def _logabsdet_vjp(g, out, a):
    return reshape_p(g, shape=shape_of(g) + (1, 1)) * swap_last(inv_p(a))


defjvp(logabsdet_p, _logabsdet_jvp)
defvjp(logabsdet_p, _logabsdet_vjp)
