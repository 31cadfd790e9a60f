"""The main demo: exact derivatives of plain NumPy code, and a picture of how an HVP is computed.

    python examples/demo.py          # prints derivatives, writes images to out/demo/
"""
import os
import sys

import numpy as np

import autodiff as ad

OUT = os.path.join("out", "demo")


def rosenbrock(x):
    """Plain NumPy: no autodiff-specific code needed."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def logistic_loss(w, X, y, lam=0.1):
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * lam * np.sum(w ** 2)


def main():
    np.set_printoptions(precision=5, suppress=True)
    x = np.array([-1.2, 1.0, 0.8])
    v = np.array([1.0, 0.0, -1.0])
    print("Rosenbrock at x =", x)
    print("  f(x)         =", rosenbrock(x))
    print("  grad f(x)    =", ad.grad(rosenbrock)(x))
    print("  H(x) v       =", ad.hvp(rosenbrock, x, v), "  (one forward-over-reverse sweep)")
    H = ad.hessian(rosenbrock)(x)
    print("  Hessian H(x) =\n", H)
    print("  eigenvalues  =", np.linalg.eigvalsh(H))

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 4))
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * rng.standard_normal(200) > 0).astype(float)
    w = np.zeros(4)
    for it in range(6):  # Newton's method with the exact Hessian
        g = ad.grad(logistic_loss)(w, X, y)
        w = w - np.linalg.solve(ad.hessian(logistic_loss)(w, X, y), g)
        print(f"Newton step {it}: loss = {logistic_loss(w, X, y):.10f}  |grad| = "
              f"{np.linalg.norm(g):.2e}")
    p = 1 / (1 + np.exp(-X @ w))
    closed_form = X.T @ (X * (p * (1 - p))[:, None]) / len(y) + 0.1 * np.eye(4)
    err = np.max(np.abs(ad.hessian(logistic_loss)(w, X, y) - closed_form))
    print(f"logistic Hessian vs closed form X^T D X / m + lam I: max error {err:.1e}")

    os.makedirs(OUT, exist_ok=True)
    small = lambda x: np.sum(np.sin(x) * x ** 2)
    pictures = {
        "forward_with_gradients": ad.viz.graph(small, x[:2], grads=True),
        "grad_sweep": ad.viz.grad_graph(small, x[:2]),
        "hvp_sweep": ad.viz.hvp_graph(small, x[:2], v[:2]),
    }
    for name, graph in pictures.items():
        for fmt in ("svg", "png"):
            try:
                path = graph.render(os.path.join(OUT, f"{name}.{fmt}"))
            except RuntimeError as e:  # no Graphviz `dot` program: say how to get it
                print(e, file=sys.stderr)
                return 1
            print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
