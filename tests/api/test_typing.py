"""Type hints on the public API (PEP 561, autodiff/py.typed): every parameter and result of the
functions users call is annotated, the annotations resolve, and mypy uses them to catch a
wrong argument in user code."""
import inspect
import pathlib
import subprocess
import sys
import typing

import pytest
import scipy.sparse

import autodiff as ad
from autodiff import checks, extend, pytree, sparse

ROOT = pathlib.Path(__file__).resolve().parents[2]

PUBLIC = [ad.grad, ad.value_and_grad, ad.vjp, ad.jvp, ad.jacrev, ad.jacobian, ad.jacfwd, ad.hvp,
          ad.hvp_fn, ad.hessian, ad.stop_gradient, ad.hessian_times_matrix,
          pytree.flatten, pytree.unflatten, ad.tree_map, ad.ravel_pytree,
          ad.check_grads, checks.check_jvp, checks.check_vjp, checks.check_batched_jvp,
          checks.check_hessian, extend.primitive,
          ad.hessian_sparsity, ad.sparse_hessian, sparse.SparseHessian.__init__,
          sparse.SparseHessian.__call__, sparse.color_hessian, sparse.seed_matrix,
          sparse.recovery_plan, sparse.recover,
          ad.progress.enable, ad.progress.disable, ad.progress.is_enabled, ad.progress.shown,
          ad.progress.steps]
# Not annotated yet (edited by others at the time): autodiff.core, autodiff.primitives,
# autodiff.viz, autodiff.optimize, autodiff.curvature.

ANNOTATED_MODULES = ["autodiff/transforms.py", "autodiff/pytree.py", "autodiff/checks.py",
                     "autodiff/extend.py", "autodiff/hessian_products.py", "autodiff/typing.py",
                     "autodiff/progress.py", "autodiff/sparse"]


@pytest.mark.parametrize("fn", PUBLIC, ids=lambda fn: fn.__qualname__)
def test_every_parameter_and_result_is_annotated(fn):
    signature = inspect.signature(fn)
    missing = [p.name for p in signature.parameters.values()
               if p.annotation is p.empty and p.name != "self"]
    assert not missing, f"{fn.__qualname__}: parameters without a type: {missing}"
    assert signature.return_annotation is not signature.empty, f"{fn.__qualname__}: no result type"
    typing.get_type_hints(fn, localns={"scipy": scipy})  # every annotation resolves


def test_mypy_checks_the_package_and_catches_wrong_arguments(tmp_path):
    pytest.importorskip("mypy", reason="mypy is in the dev extra: pip install mypy")
    user = tmp_path / "user_code.py"
    user.write_text(
        "import numpy as np\n"
        "import autodiff as ad\n"
        "def f(x: np.ndarray) -> float:\n"
        "    return float(np.sum(x ** 2))\n"
        "g = ad.grad(f)(np.ones(3))\n"
        "H = ad.hessian(f, chunk_size=16)(np.ones(3))\n"
        "ad.hessian(f, chunk_size='16')\n"
        "ad.check_grads(f, (np.ones(3),), order='2')\n")
    run = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent",
                          "--ignore-missing-imports", "--cache-dir", str(tmp_path / "cache"),
                          "--no-error-summary", str(user), *ANNOTATED_MODULES],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    errors = sorted(line.split(": error: ")[0].replace(str(tmp_path) + "/", "")
                    for line in run.stdout.splitlines() if ": error: " in line)
    assert errors == ["user_code.py:7", "user_code.py:8"], run.stdout + run.stderr
