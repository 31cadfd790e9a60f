"""The benchmark problems, written once against a NumPy-like namespace `xp` (numpy,
autograd.numpy, jax.numpy or torch), so every system runs the same code."""
import numpy as np


def rosenbrock(xp):
    def f(x):
        return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    return f


def logistic(xp, X, y, lam=1e-2):
    def loss(w, X, y):
        z = X @ w
        return xp.mean(xp.logaddexp(0.0, z) - y * z) + 0.5 * lam * xp.sum(w * w)

    def f(w):
        return loss(w, X, y)
    f.with_data = (loss, (X, y))  # the same loss taking its data as arguments (ad.jit rows)
    return f


def mlp(xp, X, y, hidden):
    d = X.shape[1]

    def f(p):
        W1 = p[:d * hidden].reshape(d, hidden)
        b1 = p[d * hidden:d * hidden + hidden]
        w2 = p[d * hidden + hidden:d * hidden + 2 * hidden]
        b2 = p[-1]
        pred = xp.tanh(X @ W1 + b1) @ w2 + b2
        return xp.mean((pred - y) ** 2)
    return f


def chain(xp, length=1000):
    def f(x):
        for _ in range(length // 2):
            x = xp.sin(x) * 1.0001
        return x
    return f


def data(seed=0):
    rng = np.random.default_rng(seed)
    Xl = rng.standard_normal((10_000, 100))
    yl = (Xl @ rng.standard_normal(100) > 0).astype(float)
    Xm = rng.standard_normal((1_000, 20))
    ym = np.sin(Xm[:, 0]) + 0.1 * rng.standard_normal(1_000)
    return Xl, yl, Xm, ym
