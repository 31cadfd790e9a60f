"""Every Python sample in the docs and the README runs (each page's blocks in order, sharing one
namespace), and the documentation builds in strict mode."""
import glob
import importlib.util
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))  # tests/api/ -> repo
PAGES = sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))) + [os.path.join(ROOT, "README.md")]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
SHOWN = re.compile(r"^```py\n(.*?)^```", re.S | re.M)  # shown, not run: the source's text


@pytest.mark.parametrize("page", PAGES, ids=lambda p: os.path.relpath(p, ROOT))
def test_code_samples_run(page, tmp_path):
    # Each page in a process of its own, as a reader runs it: samples register primitives and
    # call ad.tune_allocator() (process-wide, and glibc's settings cannot be put back).
    paths = [ROOT] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
    result = subprocess.run([sys.executable, os.path.abspath(__file__), page], cwd=tmp_path,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(paths)),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]


def run_samples(page):
    namespace = {"__name__": "__docs__"}
    for k, block in enumerate(BLOCK.findall(open(page, encoding="utf-8").read())):
        code = compile(block, f"{os.path.basename(page)} block {k + 1}", "exec")
        exec(code, namespace)  # noqa: S102 - our own documentation


def test_shown_code_is_the_source():
    """A `py` block (shown, not run, as a built-in primitive's declaration) is the package's own
    text, so it cannot go stale."""
    source = "".join(open(path, encoding="utf-8").read()
                     for path in glob.glob(os.path.join(ROOT, "autodiff", "**", "*.py"),
                                           recursive=True))
    shown = [block for page in PAGES for block in SHOWN.findall(open(page, encoding="utf-8").read())]
    assert shown
    assert [block for block in shown if block not in source] == []


def test_docs_build_strict(tmp_path):
    # the Python that runs `-m mkdocs` below, not whatever `mkdocs` is on the PATH (a venv's
    # python run without activating the venv has its mkdocs off the PATH)
    if importlib.util.find_spec("mkdocs") is None and not os.environ.get("CI"):
        pytest.skip("mkdocs is not installed (pip install -e '.[dev]')")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                             str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "value_and_grad" in api and "sparse_hessian" in api
    coverage = (tmp_path / "site" / "operators" / "index.html").read_text()
    assert "<code>matmul</code>" in coverage


if __name__ == "__main__":  # one page's samples, run by test_code_samples_run
    run_samples(sys.argv[1])
