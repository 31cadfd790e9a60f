"""Classify critical points with exact Hessians, and escape a saddle along negative curvature.

    python examples/critical_points.py
"""
import sys

import numpy as np

import autodiff as ad
import autodiff.numpy as anp
from autodiff.curvature import escape_saddle
from _common import print_table


def rosenbrock(x):
    return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def saddle(p):
    return p[0] ** 2 - p[1] ** 2


def monkey_saddle(p):
    return p[0] ** 3 - 3 * p[0] * p[1] ** 2


def bowl(p):
    return -(p[0] ** 2 + 2 * p[1] ** 2)


def double_well(p):
    """Minima at (+-1, 0), a saddle at the origin."""
    return (p[0] ** 2 - 1) ** 2 + p[1] ** 2


def main():
    cases = [("Rosenbrock", rosenbrock, np.ones(4)), ("x^2 - y^2", saddle, np.zeros(2)),
             ("monkey saddle", monkey_saddle, np.zeros(2)), ("-(x^2 + 2y^2)", bowl, np.zeros(2)),
             ("double well", double_well, np.zeros(2)),
             ("Rosenbrock, off-minimum", rosenbrock, np.full(4, 0.5))]
    rows = []
    for name, f, x in cases:
        cp = ad.classify_critical_point(f, x)
        rows.append([name, str(x), cp.verdict, f"{cp.grad_norm:.2g}", f"{cp.min_eigenvalue:.4g}",
                     f"{cp.max_eigenvalue:.4g}"])
    print_table(["function", "at", "verdict", "|grad|", "min eigenvalue", "max eigenvalue"], rows)

    T = ad.jacfwd(ad.hessian(monkey_saddle))(np.zeros(2))
    print("\nThe monkey saddle's Hessian vanishes at 0, so the second-order test is inconclusive"
          " ('degenerate');\nits third-derivative tensor (exact, by jacfwd of hessian) is not zero:"
          f"\n  d3f/dx3 = {T[0, 0, 0]:g}, d3f/dxdy2 = {T[0, 1, 1]:g}: a saddle of third order.")

    x = np.zeros(2)
    print(f"\nDouble well: the origin is a {ad.classify_critical_point(double_well, x).verdict}; "
          "gradient methods started there do not move (the gradient is zero).")
    x = escape_saddle(double_well, x)
    print(f"escape_saddle steps along the negative-curvature direction to {x}, "
          f"f = {double_well(x):.4f}")
    res = ad.optimize.minimize(double_well, x, method="newton")
    cp = ad.classify_critical_point(double_well, res.x)
    print(f"Newton from there: x = {np.round(res.x, 12)}, f = {res.fun:.2e}, {cp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
