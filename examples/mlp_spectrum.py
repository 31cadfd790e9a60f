"""The Hessian spectrum of a small MLP's loss (scikit-learn's digits) at initialization and after
training: extreme eigenvalues by Lanczos, the trace by Hutchinson, the density by stochastic
Lanczos quadrature (PyHessian's methods) — checked here against the exact dense Hessian, which
autodiff can also afford at this size.

    python examples/mlp_spectrum.py      # prints a table, writes out/mlp_spectrum/
"""
import sys
import time

import numpy as np

import autodiff as ad
from autodiff import curvature as C
from _common import print_table, pyplot, save_figure
import _digits as D


def timed(times, name, compute):
    start = time.perf_counter()
    result = compute()
    times[name] = time.perf_counter() - start
    return result


def analyse(params, X, Y):
    times = {}  # each estimator timed on its own: a slow one shows in the table
    top = timed(times, "top-3", lambda: C.hessian_eigenvalues(D.loss, params, k=3, which="LA",
                                                              args=(X, Y)))
    bottom = timed(times, "min", lambda: C.hessian_eigenvalues(D.loss, params, k=1, which="SA",
                                                               args=(X, Y)))
    trace = timed(times, "trace", lambda: C.hessian_trace(D.loss, params, args=(X, Y),
                                                          max_samples=100))
    density = timed(times, "density", lambda: C.spectral_density(
        D.loss, params, args=(X, Y), num_steps=90, num_probes=3))
    flat, unravel = ad.ravel_pytree(params)
    start = time.perf_counter()
    H = ad.hessian(lambda z: D.loss(unravel(z), X, Y))(flat)
    dense = time.perf_counter() - start
    exact = np.linalg.eigvalsh(H)
    return dict(top=top, bottom=bottom[0], trace=trace, density=density, exact=exact,
                times=times, dense=dense)


def main():
    (X, Y), (Xt, Yt) = D.load()
    params = D.init()
    before = analyse(params, X, Y)
    res = ad.optimize.minimize(D.loss, params, method="trust-ncg", args=(X, Y),
                               options={"maxiter": 60, "gtol": 1e-6})
    trained = res.x
    after = analyse(trained, X, Y)
    print(f"MLP 64-16-10 on digits ({ad.ravel_pytree(params)[0].size} parameters); trained by "
          f"trust-ncg in {res.nit} iterations ({res.nhvp} exact HVPs): loss {res.fun:.4f}, "
          f"test accuracy {D.accuracy(trained, Xt, Yt):.3f}")
    rows = []
    for name, a in (("initialization", before), ("after training", after)):
        rows.append([name, " ".join(f"{v:.4g}" for v in a["top"][::-1]),
                     " ".join(f"{v:.4g}" for v in a["exact"][::-1][:3]),
                     f"{a['bottom']:.3g} / {a['exact'][0]:.3g}",
                     f"{a['trace'].trace:.4g} ± {a['trace'].stderr:.2g} / {a['exact'].sum():.4g}",
                     " / ".join(f"{t:.2f}" for t in a["times"].values()) + " s",
                     f"{a['dense']:.2f} s"])
    print_table(["point", "top-3 (Lanczos)", "top-3 (exact)",
                 "min: Lanczos (to 1e-3 of the max) / exact",
                 "trace: Hutchinson / exact", "time: top-3 / min / trace / density",
                 "dense Hessian time"], rows)

    plt = pyplot()
    if plt is not None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
        for ax, (name, a) in zip(axes, (("at initialization", before), ("after training", after))):
            a["density"].plot(ax=ax, label="SLQ density")
            counts, edges = np.histogram(a["exact"], bins=80)
            widths = np.diff(edges)
            ax.bar(edges[:-1], np.maximum(counts / (counts.sum() * widths), 1e-7), width=widths,
                   align="edge", alpha=0.35, color="gray", label="exact eigenvalues")
            ax.set_title(f"Hessian spectrum {name}")
            ax.set_xlabel("eigenvalue")
            ax.set_ylim(1e-6, None)
        axes[0].set_ylabel("density")
        axes[0].legend()
        save_figure(fig, "mlp_spectrum", "spectrum.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
