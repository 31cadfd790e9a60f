"""Progress of long work (ad.progress): off by default, one switch, a tqdm bar where tqdm is
installed, else INFO lines on the "autodiff" logger; DEBUG lines either way. Never a change
in what is computed."""
import logging
import os
import subprocess
import sys
import types

import numpy as np
import pytest
import scipy.sparse as sp

import autodiff as ad
from autodiff import progress

N = 200  # > 128 directions: hessian runs in chunks of 64, so 4 of them


def f(x):
    return np.sum(np.sin(x) * np.cumsum(x))


@pytest.fixture
def no_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)


@pytest.fixture
def fake_tqdm(monkeypatch):
    """A stand-in tqdm that records how it was called."""
    calls = []

    def tqdm(iterable, **kwargs):
        calls.append(kwargs)
        return iter(iterable)
    module = types.ModuleType("tqdm.auto")
    module.tqdm = tqdm
    monkeypatch.setitem(sys.modules, "tqdm.auto", module)
    return calls


@pytest.fixture(autouse=True)
def restore_switch(monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.0)  # report even quick work
    before = progress.is_enabled()
    yield
    progress.enable(before)


def test_off_by_default_and_silent(no_tqdm, caplog, capsys):
    assert not progress.is_enabled()
    with caplog.at_level(logging.INFO, logger="autodiff"):
        ad.hessian(f)(np.ones(N))
    assert caplog.records == []
    assert capsys.readouterr() == ("", "")


def test_log_lines_without_tqdm(no_tqdm, caplog):
    x = np.linspace(0, 1, N)
    plain = ad.hessian(f)(x)
    with caplog.at_level(logging.INFO, logger="autodiff"), ad.progress.shown():
        assert progress.is_enabled()
        H = ad.hessian(f)(x)
    assert not progress.is_enabled()  # shown() restores the switch
    np.testing.assert_array_equal(H, plain)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == f"jacfwd(grad(f)): {N} directions: 1/4 chunks, 0.0 s"
    assert lines[-1].startswith(f"jacfwd(grad(f)): {N} directions: 4 chunks done in ")


def test_a_tqdm_bar_where_installed(fake_tqdm):
    ad.progress.enable()
    ad.hessian(f)(np.ones(N))
    [call] = fake_tqdm
    assert call["desc"] == f"jacfwd(grad(f)): {N} directions" and call["total"] == 4
    assert call["unit"] == "chunk" and call["delay"] == 0.0


def test_one_chunk_is_not_reported(fake_tqdm):
    ad.progress.enable()
    ad.hessian(f)(np.ones(20))
    assert fake_tqdm == []


def test_debug_lines_whether_shown_or_not(no_tqdm, caplog):
    with caplog.at_level(logging.DEBUG, logger="autodiff"):
        ad.jacfwd(np.sin)(np.ones(N))
    assert [r.getMessage() for r in caplog.records] == [f"jacfwd(sin): {N} directions: 4 chunks"]


def test_hessian_times_matrix_and_coloring_report(fake_tqdm):
    ad.progress.enable()
    x = np.ones(50)
    HV = ad.hessian_times_matrix(f, x, np.tile(np.eye(50), 3))  # 150 directions: 3 chunks
    assert HV.shape == (50, 150)
    n = 300  # a random pattern: greedy coloring, not the periodic fast path
    rng = np.random.default_rng(0)
    A = sp.csr_matrix((np.ones(3 * n), (rng.integers(0, n, 3 * n), rng.integers(0, n, 3 * n))),
                      shape=(n, n))
    ad.sparse.color_hessian(((A + A.T + sp.identity(n)) != 0).tocsr())
    descriptions = [c["desc"] for c in fake_tqdm]
    assert descriptions[0] == "hessian_times_matrix: 150 directions"
    assert descriptions[1:] == [f"color_hessian: star coloring of {n} columns",
                                f"color_hessian: distance-2 coloring of {n} columns"]


def test_library_code_reports_its_loops(no_tqdm, caplog):
    """The hook other modules use: steps(iterable, what) yields the same items."""
    with caplog.at_level(logging.INFO, logger="autodiff"), ad.progress.shown():
        assert list(progress.steps(range(3), "probes", unit="probe")) == [0, 1, 2]
    assert caplog.records[-1].getMessage().startswith("probes: 3 probes done in ")


def test_the_environment_switches_it_on():
    env = dict(os.environ, AUTODIFF_PROGRESS="1")
    code = "import autodiff as ad; print(ad.progress.is_enabled())"
    for value, shown in (("1", "True"), ("0", "False")):
        env["AUTODIFF_PROGRESS"] = value
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True, cwd=os.path.dirname(os.path.dirname(
                                 os.path.dirname(os.path.abspath(__file__))))).stdout
        assert out.strip() == shown


def test_curvature_estimators_report_their_probes_and_steps(no_tqdm, caplog):
    x = np.linspace(0.1, 1.0, 30)
    with caplog.at_level(logging.INFO, logger="autodiff"), ad.progress.shown():
        estimate = ad.curvature.hessian_trace(f, x, max_samples=40, tol=0.0, jit=False)
        ad.curvature.spectral_density(f, x, num_steps=8, num_probes=2, jit=False)
    assert estimate.samples == 40
    lines = [r.getMessage() for r in caplog.records]
    assert "hessian_trace: probes: 1/4 blocks, 0.0 s" in lines
    assert any(line.startswith("hessian_trace: probes: 4 blocks done in ") for line in lines)
    assert any(line.startswith("Lanczos: 2 vectors: 8 steps done in ") for line in lines)
