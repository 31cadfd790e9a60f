"""Helpers the examples share: an output folder, a table printer, optional matplotlib."""
import os


def out_dir(name):
    path = os.path.join("out", name)
    os.makedirs(path, exist_ok=True)
    return path


def print_table(headers, rows):
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("-" * len(line))
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))


def pyplot():
    """matplotlib.pyplot (headless), or None when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        print("(matplotlib is not installed: skipping plots; pip install matplotlib)")
        return None


def save_figure(fig, folder, name):
    path = os.path.join(out_dir(folder), name)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print("wrote", path)


def require_sklearn():
    """scikit-learn's datasets module, or a clear exit: the real-data examples need it."""
    try:
        import sklearn.datasets
        return sklearn.datasets
    except ImportError:
        raise SystemExit("this example needs scikit-learn (pip install scikit-learn)") from None
