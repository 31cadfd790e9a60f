"""Optional dependencies, imported on first use: a missing one is an ImportError that says what
needs it and exactly what to pip install, instead of a bare ModuleNotFoundError."""
import importlib

DISTRIBUTION = "autodiff-hessian"  # the name pip installs this package by: the one place to change it


def install_command(package, extra=None):
    """The pip command that brings `package`: through autodiff's extra when there is one."""
    if extra is None:
        return f"pip install {package}"
    return f"pip install '{DISTRIBUTION}[{extra}]' (or pip install {package})"


def require(module, extra, what, package=None):
    """`module`, imported. If it is missing: an ImportError naming `what` needs it and the pip
    command (autodiff's `extra`, or the distribution `package`, by default the module's top
    name; extra=None for a plain dependency)."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = package or module.split(".")[0]
        raise ImportError(f"{what} uses {package}, which could not be imported ({error}): "
                          f"{install_command(package, extra)}") from error


def require_scipy():
    """scipy, with scipy.optimize and scipy.sparse.linalg loaded (optimization, curvature
    analysis and sparse Hessians use them)."""
    what = "this part of autodiff (optimization, curvature analysis, sparse Hessians)"
    require("scipy.optimize", "optimize", what)
    require("scipy.sparse.linalg", "optimize", what)
    return require("scipy", "optimize", what)
