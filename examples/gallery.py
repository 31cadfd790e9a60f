"""A small gallery of computation-graph pictures, written to out/gallery/.

    python examples/gallery.py

1. a scalar expression with its gradients (micrograd-style records)
2. an MLP loss with named layers (scopes become clusters)
3. the reverse sweep of its gradient, as a graph of its own
4. the forward-over-reverse sweep of an HVP: primal and tangent flows
5. a graph of 150,000 operations folded to a readable size
6. the gradient sweep of a 6-layer network folded by layer: forward ops and reverse-sweep ops
   of each layer side by side
"""
import os
import sys
import time

import numpy as np

import autodiff as ad
import autodiff.numpy as anp

OUT = os.path.join("out", "gallery")


def neuron(x1, x2, w1, w2, b):
    """micrograd's classic example: tanh(x1 w1 + x2 w2 + b)."""
    return anp.tanh(x1 * w1 + x2 * w2 + b)


def mlp_loss(W1, W2, X, y):
    with ad.viz.scope("hidden layer"):
        h = anp.tanh(X @ W1)
    with ad.viz.scope("output layer"):
        pred = h @ W2
    with ad.viz.scope("loss"):
        return anp.mean((pred - y) ** 2)


def deep_network(W, X):
    h = X
    for k in range(W.shape[0]):
        with ad.viz.scope(f"layer{k}"):
            h = anp.tanh(h @ W[k] + 0.1)
    return anp.sum(h ** 2)


def long_chain(x):
    for _ in range(50_000):
        x = anp.sin(x) * 0.999 + 0.01
    return anp.sum(x)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 3)), rng.standard_normal(8)
    W1, W2 = rng.standard_normal((3, 4)) * 0.5, rng.standard_normal(4) * 0.5
    x = np.array([0.5, -1.0])
    square_sin = lambda x: anp.sum(anp.sin(x) * x ** 2)
    pictures = [
        ("1_scalar_expression", lambda: ad.viz.graph(neuron, 2.0, 0.0, -3.0, 1.0, 6.88137,
                                                     grads=True, rankdir="LR")),
        ("2_mlp_loss", lambda: ad.viz.graph(mlp_loss, W1, W2, X, y)),
        ("3_mlp_gradient_sweep", lambda: ad.viz.grad_graph(mlp_loss, W1, W2, X, y)),
        ("4_hvp_sweep", lambda: ad.viz.hvp_graph(square_sin, x, np.array([1.0, 0.5]))),
        ("5_large_graph_folded", lambda: ad.viz.graph(long_chain, np.ones(3))),
        ("6_deep_network_sweep_by_layer", lambda: ad.viz.grad_graph(
            deep_network, rng.standard_normal((6, 4, 4)) * 0.5, X[:3, :] @ np.ones((3, 4)),
            max_nodes=40)),
    ]
    for name, make in pictures:
        start = time.perf_counter()
        graph = make()
        try:
            path = graph.render(os.path.join(OUT, name + ".svg"))
            graph.render(os.path.join(OUT, name + ".png"))
        except RuntimeError as e:
            print(e, file=sys.stderr)
            return 1
        folded = f"; folded: {'; '.join(graph.notes)}" if graph.notes else ""
        print(f"wrote {path}: {graph.num_nodes} nodes in {time.perf_counter() - start:.2f}s"
              f"{folded}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
