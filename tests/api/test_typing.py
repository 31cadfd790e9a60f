"""Type hints on the public API (PEP 561, autodiff/py.typed): every parameter and result of the
functions users call is annotated, the annotations resolve, and mypy uses them to catch a
wrong argument in user code."""
import inspect
import pathlib
import subprocess
import sys
import typing

import graphviz
import pytest
import scipy.sparse

import autodiff as ad
from autodiff import (checks, curvature, custom_derivatives, distributed, extend, inference,
                      optimize, pytree, sparse, staging, viz)
from autodiff.numpy import at
from autodiff.optimize import newton, objective
from autodiff.scipy import integrate, special, stats

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
          ad.progress.steps,
          optimize.minimize, optimize.scipy_objective, optimize.ScipyObjective.__init__,
          optimize.ScipyObjective.fun, optimize.ScipyObjective.jac,
          optimize.ScipyObjective.fun_and_jac, optimize.ScipyObjective.hess,
          optimize.ScipyObjective.hessp, optimize.ggnvp, optimize.modified_newton_direction,
          newton.newton,
          viz.graph, viz.grad_graph, viz.hvp_graph, viz.dot_available, viz.scope.__init__,
          viz.scope.__enter__, viz.scope.__exit__, viz.Graph.__init__, viz.Graph.to_dot,
          viz.Graph.render, viz.Graph.notes.fget, viz.Graph.num_nodes.fget,
          viz.Graph.source.fget,
          inference.fit, inference.laplace, inference.MLEResult.__init__,
          inference.MLEResult.cov_params, inference.MLEResult.conf_int,
          inference.MLEResult.summary, inference.MLEResult.k.fget, inference.MLEResult.bse.fget,
          inference.MLEResult.tvalues.fget, inference.MLEResult.pvalues.fget,
          inference.MLEResult.aic.fget, inference.MLEResult.bic.fget,
          inference.LaplaceResult.__init__, inference.LaplaceResult.std.fget,
          special.polygamma, special.multigammaln, special.logsumexp, special.softmax,
          special.log_softmax,
          *[getattr(cls, name) for cls, names in [
              (stats._Continuous, ("logpdf", "pdf", "logcdf", "cdf", "logsf", "sf")),
              (stats._Discrete, ("logpmf", "pmf", "logcdf", "cdf", "logsf", "sf")),
              (stats._MultivariateNormal, ("logpdf", "pdf")),
              (stats._Dirichlet, ("logpdf", "pdf"))] for name in names],
          integrate.odeint, integrate.solve_ivp,
          ad.jit, staging.Jitted.__call__, staging.Jitted.programs, staging.Jitted.unstaged_reason,
          viz.program_graph, distributed.hessian_blocks, distributed.default_chunk_size,
          curvature.hessian_operator, curvature.hessian_eigenvalues, curvature.hessian_trace,
          curvature.spectral_density, curvature.condition_number, curvature.curvature_along,
          curvature.classify_critical_point, curvature.escape_saddle, curvature.lanczos,
          curvature.lanczos_block, curvature.Density.plot,
          custom_derivatives.custom_jvp.__init__, custom_derivatives.custom_jvp.__call__,
          custom_derivatives.custom_jvp.defjvp, custom_derivatives.custom_jvp.defjvps,
          custom_derivatives.custom_vjp.__init__, custom_derivatives.custom_vjp.defvjp,
          at.IndexUpdates.__getitem__, *[getattr(at.IndexUpdate, name) for name in (
              "__init__", "get", "set", "add", "multiply", "divide", "min", "max")]]
# Not annotated yet: autodiff.core, autodiff.primitives; autodiff.numpy's functions (beyond
# x.at); the viz command line.

ANNOTATED_MODULES = ["autodiff/transforms.py", "autodiff/pytree.py", "autodiff/checks.py",
                     "autodiff/extend.py", "autodiff/hessian_products.py", "autodiff/typing.py",
                     "autodiff/progress.py", "autodiff/sparse", "autodiff/optimize",
                     "autodiff/viz", "autodiff/inference.py", "autodiff/scipy",
                     "autodiff/custom_derivatives.py", "autodiff/numpy/at.py",
                     "autodiff/curvature", "autodiff/staging.py", "autodiff/distributed.py"]


@pytest.mark.parametrize("fn", PUBLIC, ids=lambda fn: fn.__qualname__)
def test_every_parameter_and_result_is_annotated(fn):
    signature = inspect.signature(fn)
    missing = [p.name for p in signature.parameters.values()
               if p.annotation is p.empty and p.name != "self"]
    assert not missing, f"{fn.__qualname__}: parameters without a type: {missing}"
    assert signature.return_annotation is not signature.empty, f"{fn.__qualname__}: no result type"
    typing.get_type_hints(fn, localns={"scipy": scipy, "graphviz": graphviz})  # every annotation resolves


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
        "ad.check_grads(f, (np.ones(3),), order='2')\n"
        "res = ad.optimize.minimize(f, np.ones(3), method='bfgs', options={'gtol': 1e-8})\n"
        "print(res.x, ad.inference.fit(f, np.ones(3)).summary(alpha=0.1))\n"
        "ad.viz.graph(f, np.ones(3), max_nodes='5')\n"
        "ad.scipy.stats.norm.logpdf(np.ones(3), 0.0, scale=2.0) + ad.scipy.special.softmax([1.0])\n"
        "ad.optimize.minimize(f, np.ones(3), tol='small')\n")
    run = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent",
                          "--ignore-missing-imports", "--cache-dir", str(tmp_path / "cache"),
                          "--no-error-summary", str(user), *ANNOTATED_MODULES],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    errors = sorted(line.split(": error: ")[0].replace(str(tmp_path) + "/", "")
                    for line in run.stdout.splitlines() if ": error: " in line)
    assert errors == ["user_code.py:11", "user_code.py:13", "user_code.py:7", "user_code.py:8"], \
        run.stdout + run.stderr
