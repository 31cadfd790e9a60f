"""The package as users install it: its distribution name (not the index's other `autodiff`),
licence, version and type hints reach the built wheel, and every install line uses that name."""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

import autodiff as ad
from autodiff import _optional

ROOT = pathlib.Path(__file__).resolve().parents[2]
NAME = "autodiff-hessian"


def pyproject_name():
    return re.search(r'^name = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)


def test_one_distribution_name_everywhere():
    assert pyproject_name() == NAME == _optional.DISTRIBUTION
    assert _optional.install_command("scipy", "optimize") == \
        f"pip install '{NAME}[optimize]' (or pip install scipy)"


def test_no_install_line_names_the_other_autodiff():
    """`pip install autodiff` or `autodiff[extra]` would fetch the index's unrelated 2017 project."""
    files = [ROOT / "README.md", ROOT / "benchmarks" / "README.md", ROOT / ".ci" / "run",
             *(ROOT / "docs").glob("*.md"), *(ROOT / "examples").glob("*.*")]
    wrong = re.compile(r"pip install[^\n]*(?<![\w-])autodiff(?![\w-])(\[|['\"\s]|$)")
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not wrong.search(line), f"{path.relative_to(ROOT)}:{number}: {line}"


def test_the_wheel_carries_name_version_licence_and_type_hints(tmp_path):
    """Built from a copy of the sources (nothing written into the work tree), in an isolated
    build environment as `pip install` makes one; any warning of the build fails the test."""
    pytest.importorskip("build", reason="python -m build is in the dev extra: pip install build")
    source = tmp_path / "source"
    shutil.copytree(ROOT / "autodiff", source / "autodiff",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    # byte-compiling off (PYTHONDONTWRITEBYTECODE) is the environment's choice, not the package's
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    run = subprocess.run([sys.executable, "-m", "build", "--wheel", "-o", str(tmp_path / "dist"),
                          str(source)], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    # a warning line of setuptools/pip/build ("SetuptoolsDeprecationWarning: ...", "WARNING: ...",
    # "warning: ..."), not a file name that contains the word (autodiff/fpwarnings.py)
    warning = re.compile(r"(^|\s)(\w*warning\b\s*:|warn(ing)?\s*:)", re.IGNORECASE)
    warnings = [line for line in (run.stdout + run.stderr).splitlines() if warning.search(line)]
    assert not warnings, "\n".join(warnings)
    [wheel] = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
        metadata = archive.read(f"{info}/METADATA").decode()
        licence = archive.read(f"{info}/licenses/LICENSE").decode()
    assert f"Name: {NAME}\n" in metadata
    assert f"Version: {ad.__version__}\n" in metadata
    assert "License-Expression: MIT\n" in metadata and "License-File: LICENSE\n" in metadata
    assert "Classifier: Typing :: Typed\n" in metadata
    assert licence.startswith("MIT License")
    assert "autodiff/py.typed" in names
    assert "autodiff/transforms.py" in names and "autodiff/sparse/hessian.py" in names


def test_ci_uses_a_venv_where_the_system_python_refuses_pip(tmp_path):
    """A fresh Debian/Ubuntu has no `python` (and its python3 refuses pip, PEP 668): .ci/run must
    then install into a venv, and otherwise into the Python it was given."""
    script = (ROOT / ".ci" / "run").read_text()
    function = re.search(r"^system_python_refuses_pip\(\) \{\n.*?^\}\n", script, re.M | re.S)
    assert function, ".ci/run decides nowhere whether it needs a venv"
    bare, ours = tmp_path / "bare", tmp_path / "ours"
    bare.mkdir()
    ours.mkdir()
    # `python` is this test's own Python, into which pip installed the dev extra
    (ours / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (ours / "python").chmod(0o755)
    bash = shutil.which("bash")
    decide = function.group(0) + "system_python_refuses_pip"
    assert subprocess.run([bash, "-c", decide], env={"PATH": str(bare)}).returncode == 0
    assert subprocess.run([bash, "-c", decide], env={"PATH": str(ours)}).returncode == 1
