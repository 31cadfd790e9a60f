"""Every example runs from the repository root with one command and prints something."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))  # tests/api/ -> repo
EXAMPLES = sorted(f for f in os.listdir(os.path.join(ROOT, "examples"))
                  if f.endswith(".py") and not f.startswith("_"))
EXPECT = {
    "demo.py": "H(x) v",
    "gallery.py": "5_large_graph_folded.svg",
    "logistic_regression.py": "gradient descent",
    "critical_points.py": "saddle",
    "hessian_free.py": "test acc",
    "mlp_spectrum.py": "top-3 (Lanczos)",
    "sparse_newton.py": "converged",
    "ode_fit.py": "std. error",
    "nb2_regression.py": "agree with statsmodels",
    "student_t_regression.py": "central differences",
    "laplace_evidence.py": "Bayes factor",
}
NEEDS = {"logistic_regression.py": "sklearn", "hessian_free.py": "sklearn",
         "mlp_spectrum.py": "sklearn", "nb2_regression.py": "statsmodels",
         "student_t_regression.py": "statsmodels", "laplace_evidence.py": "statsmodels"}


def test_every_example_is_checked():
    assert sorted(EXPECT) == EXAMPLES


@pytest.mark.parametrize("script", EXAMPLES)
def test_example_runs(script, tmp_path):
    if script in NEEDS:
        pytest.importorskip(NEEDS[script])
    paths = [ROOT] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(paths))  # this autodiff
    result = subprocess.run([sys.executable, os.path.join(ROOT, "examples", script)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert EXPECT[script] in result.stdout


def test_benchmark_quick_mode_runs(tmp_path):
    result = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "run.py"), "--quick",
                             "--out", str(tmp_path)], capture_output=True, text=True,
                            timeout=600, env=dict(os.environ, MPLBACKEND="Agg"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| target | limit | autodiff |" in result.stdout
    assert (tmp_path / "results.json").exists() and (tmp_path / "results.md").exists()
