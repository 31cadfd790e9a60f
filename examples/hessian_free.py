"""Martens-style Hessian-free training of an MLP on real data (scikit-learn's digits): truncated
conjugate gradients on exact Gauss-Newton-vector products, Levenberg-Marquardt damping, CG warm
starts and progress-based CG stopping (Martens 2010). The curvature matrix is never formed.

    python examples/hessian_free.py
"""
import sys
import time

import numpy as np

import autodiff as ad
from _common import print_table
import _digits as D

L2 = 1e-4


def truncated_cg(Av, b, x0, max_iters=100, progress_eps=5e-4):
    """CG for A x = b from x0, stopped when the quadratic q(x) = x'Ax/2 - b'x stops improving
    (Martens' criterion: relative progress over the last 10% of iterations below eps)."""
    x = x0.copy()
    r = b - Av(x)
    p = r.copy()
    rr = r @ r
    q_hist = []
    for i in range(max_iters):
        Ap = Av(p)
        alpha = rr / (p @ Ap)
        x += alpha * p
        r -= alpha * Ap
        q_hist.append(0.5 * x @ (b - r) - b @ x)  # A x = b - r
        k = max(10, int(0.1 * (i + 1)))
        if i >= k and q_hist[-1] < 0 and (q_hist[-1] - q_hist[-1 - k]) / q_hist[-1] < k * progress_eps:
            break
        rr_new = r @ r
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x, i + 1


def main():
    (X, Y), (Xt, Yt) = D.load()
    params = D.init()
    theta, unravel = ad.ravel_pytree(params)
    f = lambda th: D.loss(unravel(th), X, Y, L2)
    model = lambda th: D.logits(unravel(th), X)
    out_loss = lambda z: D.cross_entropy(z, Y)
    lam, d = 1.0, np.zeros_like(theta)
    rows = []
    start = time.perf_counter()
    print(f"MLP 64-16-10 on digits: {theta.size} parameters, {len(X)} training images")
    for it in range(1, 16):
        f0, g = ad.value_and_grad(f)(theta)

        def Gv(v):  # damped Gauss-Newton product (+ the L2 term's exact curvature)
            return np.asarray(ad.ggnvp(model, out_loss, theta, v)) + (L2 + lam) * v
        d, cg_iters = truncated_cg(Gv, -g, 0.95 * d)  # warm start from the last direction
        q = g @ d + 0.5 * d @ (Gv(d) - lam * d)
        f1 = f(theta + d)
        rho = (f1 - f0) / q
        if rho < 0.25:
            lam *= 1.5
        elif rho > 0.75:
            lam *= 2 / 3
        if f1 < f0:
            theta = theta + d
        else:
            d = np.zeros_like(theta)  # rejected: restart CG from zero
        p = unravel(theta)
        rows.append([it, f"{min(f0, f1):.5f}", cg_iters, f"{rho:.2f}", f"{lam:.3g}",
                     f"{D.accuracy(p, X, Y):.3f}", f"{D.accuracy(p, Xt, Yt):.3f}",
                     f"{time.perf_counter() - start:.1f}s"])
    print_table(["iteration", "loss", "CG steps", "rho", "damping", "train acc", "test acc",
                 "elapsed"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
