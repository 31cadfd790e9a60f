"""Newton's method with exact sparse Hessians on a problem with 200,000 unknowns, where a dense
Hessian (320 GB) is out of the question: a discretized 1-D nonlinear energy
E(u) = sum (u[i+1] - u[i])^2 / (2h) + h sum (exp(u) - f u), whose Hessian is tridiagonal.

    python examples/sparse_newton.py
"""
import sys
import time

import numpy as np
import scipy.sparse.linalg

import autodiff as ad
from _common import print_table

N = 200_000


def energy(u, f, h):
    du = u[1:] - u[:-1]
    return np.sum(du * du) / (2 * h) + h * np.sum(np.exp(u) - f * u)


def main():
    ad.tune_allocator()  # large arrays: keep NumPy's temporaries in the heap (Linux)
    h = 1.0 / N
    grid = np.linspace(0.0, 1.0, N)
    f = 2.0 + np.sin(6 * np.pi * grid)
    u = np.zeros(N)
    grad = ad.grad(energy)
    hess = ad.sparse_hessian(lambda u: energy(u, f, h))  # pattern + coloring found once
    rows = []
    for it in range(12):
        start = time.perf_counter()
        g = grad(u, f, h)
        gnorm = np.linalg.norm(g)
        if gnorm < 1e-8:  # the rounding level of this discretization
            break
        H = hess(u)
        step = scipy.sparse.linalg.spsolve(H.tocsc(), -g)
        u = u + step
        rows.append([it, f"{energy(u, f, h):.12f}", f"{gnorm:.2e}", H.nnz, hess.num_colors,
                     f"{(time.perf_counter() - start) * 1e3:.0f} ms"])
    print(f"Newton with sparse Hessians, n = {N:,} unknowns")
    print_table(["iteration", "energy", "|grad| before", "Hessian nonzeros", "colors",
                 "time (grad + Hessian + solve)"], rows)
    print(f"converged: |grad| = {np.linalg.norm(grad(u, f, h)):.1e} after {len(rows)} Newton steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
