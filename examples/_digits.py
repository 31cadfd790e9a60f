"""A small tanh MLP classifier on scikit-learn's bundled digits (8x8 images, no download),
shared by the Hessian-spectrum and Hessian-free training examples."""
import numpy as np

import autodiff.numpy as anp
from _common import require_sklearn


def load(n_train=1200, seed=0):
    X, y = require_sklearn().load_digits(return_X_y=True)
    X = X / 16.0
    order = np.random.default_rng(seed).permutation(len(X))
    X, Y = X[order], np.eye(10)[y[order]]
    return (X[:n_train], Y[:n_train]), (X[n_train:], Y[n_train:])


def init(hidden=16, seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": rng.standard_normal((64, hidden)) / 8.0, "b1": np.zeros(hidden),
            "W2": rng.standard_normal((hidden, 10)) / np.sqrt(hidden), "b2": np.zeros(10)}


def logits(params, X):
    h = anp.tanh(X @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def cross_entropy(z, Y):
    """Mean softmax cross-entropy of logits z against one-hot Y (convex in z)."""
    z = z - anp.max(z, axis=1, keepdims=True)
    return -anp.mean(anp.sum(Y * (z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))),
                             axis=1))


def loss(params, X, Y, l2=1e-4):
    reg = anp.sum(params["W1"] ** 2) + anp.sum(params["W2"] ** 2)
    return cross_entropy(logits(params, X), Y) + 0.5 * l2 * reg


def accuracy(params, X, Y):
    return float(np.mean(np.argmax(logits(params, X), 1) == np.argmax(Y, 1)))
