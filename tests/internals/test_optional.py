"""Optional dependencies: a missing one is an ImportError that says what to pip install."""
import sys

import numpy as np
import pytest

import autodiff as ad
from autodiff import _optional


def hide(monkeypatch, top):
    """Make `top` and its submodules unimportable for this test (as if not installed)."""
    for name in [m for m in sys.modules if m == top or m.startswith(top + ".")] + [top]:
        monkeypatch.setitem(sys.modules, name, None)


def test_require_names_the_extra_and_the_package():
    with pytest.raises(ImportError, match=r"drawing unicorns uses no_such_module_xyz, which could "
                       r"not be imported .*: pip install 'autodiff-hessian\[magic\]' \(or pip install "
                       r"no_such_module_xyz\)"):
        _optional.require("no_such_module_xyz.sub", "magic", "drawing unicorns")
    with pytest.raises(ImportError, match=r"uses PyNoSuch, .*: pip install PyNoSuch$"):
        _optional.require("no_such_module_xyz", None, "this", package="PyNoSuch")
    assert _optional.require("numpy.linalg", None, "this") is np.linalg


def test_the_distribution_name_is_written_once(monkeypatch):
    monkeypatch.setattr(_optional, "DISTRIBUTION", "renamed")
    assert _optional.install_command("scipy", "optimize") == \
        "pip install 'renamed[optimize]' (or pip install scipy)"


def test_missing_scipy_says_what_to_install(monkeypatch):
    hide(monkeypatch, "scipy")
    message = r"uses scipy, .*pip install 'autodiff-hessian\[optimize\]' \(or pip install scipy\)"
    with pytest.raises(ImportError, match=message):
        _optional.require_scipy()
    f = lambda x: (x ** 2).sum()
    with pytest.raises(ImportError, match=message):
        ad.optimize.minimize(f, np.ones(2))
    with pytest.raises(ImportError, match=message):
        ad.hessian_operator(f, np.ones(2))
    with pytest.raises(ImportError, match=message):
        ad.sparse_hessian(f)(np.ones(2))
    assert ad.hessian_times_matrix(f, np.ones(2), np.eye(2)).tolist() == [[2, 0], [0, 2]]
