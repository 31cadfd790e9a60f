"""scipy, imported on first use with a clear message when it is missing."""


def require_scipy():
    try:
        import scipy.optimize  # noqa: F401
        import scipy.sparse.linalg  # noqa: F401
    except ImportError:
        raise ImportError("this part of autodiff (optimization and curvature analysis) uses "
                          "scipy: pip install 'autodiff[optimize]' (or pip install scipy)") from None
    import scipy
    return scipy
