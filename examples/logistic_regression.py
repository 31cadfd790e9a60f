"""Logistic regression on real data (scikit-learn's bundled breast-cancer set, no download):
Newton with the exact Hessian vs Hessian-free Newton-CG vs BFGS vs gradient descent.

    python examples/logistic_regression.py      # prints a table, writes out/logistic/
"""
import sys
import time

import numpy as np

import autodiff as ad
import autodiff.numpy as anp
from autodiff.optimize import minimize
from _common import print_table, pyplot, require_sklearn, save_figure

LAM = 1e-3


def load():
    X, y = require_sklearn().load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    return np.hstack([X, np.ones((len(X), 1))]), y.astype(float)


def loss(w, X, y):
    z = X @ w
    return anp.mean(anp.logaddexp(0.0, z) - y * z) + 0.5 * LAM * anp.sum(w[:-1] ** 2)


def gradient_descent(X, y, w, iters=2000, gtol=1e-6, history=None):
    """Plain gradient descent with a backtracking line search: the first-order baseline."""
    vg = ad.value_and_grad(loss)
    nfev = 0
    step = 1.0
    for it in range(iters):
        f, g = vg(w, X, y)
        nfev += 1
        history.append(f)
        if np.max(np.abs(g)) < gtol:
            break
        step *= 2.0
        while loss(w - step * g, X, y) > f - 0.5 * step * g @ g:
            step /= 2.0
            nfev += 1
        w = w - step * g
    return w, it + 1, nfev


def main():
    X, y = load()
    w0 = np.zeros(X.shape[1])
    rows, histories = [], {}
    for method in ("newton", "newton-cg", "bfgs"):
        history = []
        start = time.perf_counter()
        res = minimize(loss, w0, method=method, args=(X, y),
                       callback=lambda w: history.append(float(loss(w, X, y))),
                       options={} if method == "newton" else {"maxiter": 1000},
                       tol=1e-10 if method != "newton" else None)
        elapsed = time.perf_counter() - start
        histories[method] = [float(loss(w0, X, y))] + history
        acc = np.mean(((X @ res.x) > 0) == y)
        rows.append([method, res.nit, res.nfev, res.nhev, res.nhvp, f"{elapsed * 1e3:.1f} ms",
                     f"{res.fun:.10f}", f"{np.max(np.abs(res.jac)):.1e}", f"{acc:.4f}"])
    history = []
    start = time.perf_counter()
    w, nit, nfev = gradient_descent(X, y, w0, history=history)
    elapsed = time.perf_counter() - start
    histories["gradient descent"] = history
    g = ad.grad(loss)(w, X, y)
    rows.append(["gradient descent", nit, nfev, 0, 0, f"{elapsed * 1e3:.1f} ms",
                 f"{loss(w, X, y):.10f}", f"{np.max(np.abs(g)):.1e}",
                 f"{np.mean(((X @ w) > 0) == y):.4f}"])
    print(f"L2-regularized logistic regression, breast cancer data: {X.shape[0]} samples, "
          f"{X.shape[1]} parameters, lambda = {LAM}")
    print_table(["method", "iterations", "f+grad evals", "Hessians", "HVPs", "time",
                 "final loss", "max|grad|", "train accuracy"], rows)

    plt = pyplot()
    if plt is not None:
        best = min(min(h) for h in histories.values())
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for name, h in histories.items():
            ax.semilogy(np.maximum(np.array(h) - best, 1e-16), label=name, marker="." if
                        len(h) < 60 else None)
        ax.set_xlabel("iteration")
        ax.set_ylabel("loss - best loss")
        ax.set_xscale("symlog", linthresh=10)
        ax.set_title("Logistic regression (breast cancer): convergence")
        ax.legend()
        save_figure(fig, "logistic", "convergence.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
