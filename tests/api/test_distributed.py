"""executor=: chunks of directions on a real Dask cluster (two worker processes), on a
ProcessPoolExecutor and on loky's reusable executor give exactly the serial results; a worker
lost mid-Hessian costs nothing but time; an exception in f comes back as itself with its chunk
named; Ctrl-C cancels."""
import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import Executor, Future, ProcessPoolExecutor

import numpy as np
import pytest

import autodiff as ad
from autodiff import curvature
from autodiff.distributed import hessian_blocks

cloudpickle = pytest.importorskip("cloudpickle")
# the workers cannot import this test module: its functions travel by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def f(x):
    return np.sum(np.sin(x) ** 2 * np.cos(x[::-1])) + np.sum(x[:-1] * x[1:] ** 3)


def tree_f(p, scale):
    return scale * np.sum(np.tanh(p["w"] @ p["b"]) ** 2) + np.sum(p["b"] ** 4)


def scaled(x, scale):
    return scale * f(x)


X = np.linspace(0.1, 2.0, 40)
P = {"w": np.linspace(-1, 1, 12).reshape(3, 4), "b": np.linspace(0.5, 1.5, 4)}


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=":0")
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def pool():
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


@pytest.fixture(scope="module")
def loky_executor():
    loky = pytest.importorskip("loky")
    # loky's workers quit after `timeout` idle seconds (10 by default): one quitting just as
    # tasks arrive is harmless, but warns; the module's tests are closer together than this
    executor = loky.get_reusable_executor(max_workers=2, timeout=300)
    yield executor
    executor.shutdown(wait=True)


@pytest.fixture(params=["client", "get_executor", "pool", "loky"])
def executor(request):
    if request.param in ("pool", "loky"):
        return request.getfixturevalue({"pool": "pool", "loky": "loky_executor"}[request.param])
    client = request.getfixturevalue("client")
    return client if request.param == "client" else client.get_executor()


def same(a, b):
    """Equal to the bit, pytrees included."""
    la, ta = ad.pytree.flatten(a)
    lb, tb = ad.pytree.flatten(b)
    assert ta == tb
    for u, v in zip(la, lb):
        assert np.asarray(u).dtype == np.asarray(v).dtype
        np.testing.assert_array_equal(u, v, strict=True)


def test_hessian_jacfwd_jacrev_equal_serial(executor):
    same(ad.hessian(f, executor=executor, chunk_size=16)(X), ad.hessian(f, chunk_size=16)(X))
    H, aux = ad.hessian(lambda p, s: (tree_f(p, s), s), has_aux=True, chunk_size=5,
                        executor=executor)(P, 2.0)
    same((H, aux), ad.hessian(lambda p, s: (tree_f(p, s), s), has_aux=True, chunk_size=5)(P, 2.0))
    g = lambda x, y: np.tanh(np.outer(x, y)).ravel()
    same(ad.jacfwd(g, argnums=(0, 1), chunk_size=7, executor=executor)(X[:10], X[:5]),
         ad.jacfwd(g, argnums=(0, 1), chunk_size=7)(X[:10], X[:5]))
    big = np.linspace(0, 1, 200)  # 200 outputs: jacrev's sweeps in chunks of 64
    same(ad.jacrev(lambda x: np.sin(x) * np.sum(x), executor=executor)(big),
         ad.jacrev(lambda x: np.sin(x) * np.sum(x))(big))


def test_products_operator_and_estimators_equal_serial(executor):
    V = np.random.default_rng(0).standard_normal((X.size, 9))
    same(ad.hessian_times_matrix(f, X, V, chunk_size=4, executor=executor),
         ad.hessian_times_matrix(f, X, V, chunk_size=4))
    op = ad.hessian_operator(tree_f, P, args=(2.0,), chunk_size=3, executor=executor)
    serial = ad.hessian_operator(tree_f, P, args=(2.0,), chunk_size=3)
    W = np.eye(op.shape[0])[:, :7]
    same(op @ W, serial @ W)
    same(op @ W[:, 1:4], serial @ W[:, 1:4])  # a second matmat: the same shipment
    same(curvature.hessian_trace(f, X, chunk_size=5, executor=executor),
         curvature.hessian_trace(f, X, chunk_size=5))
    same(tuple(curvature.spectral_density(f, X, num_probes=4, num_steps=10, chunk_size=2,
                                          executor=executor)),
         tuple(curvature.spectral_density(f, X, num_probes=4, num_steps=10, chunk_size=2)))
    same(curvature.hessian_eigenvalues(tree_f, P, k=2, args=(2.0,), executor=executor),
         curvature.hessian_eigenvalues(tree_f, P, k=2, args=(2.0,)))
    same(curvature.condition_number(tree_f, P, args=(2.0,), executor=executor),
         curvature.condition_number(tree_f, P, args=(2.0,)))
    cp = ad.classify_critical_point(tree_f, P, args=(2.0,), executor=executor)
    serial_cp = ad.classify_critical_point(tree_f, P, args=(2.0,))
    same((cp.min_eigenvalue, cp.max_eigenvalue, cp.min_eigenvector),
         (serial_cp.min_eigenvalue, serial_cp.max_eigenvalue, serial_cp.min_eigenvector))
    saddle = lambda p, scale: scale * np.sum(p["w"] ** 2) - np.sum(np.sin(p["b"]) ** 2)
    same(ad.curvature.escape_saddle(saddle, P, args=(2.0,), executor=executor),
         ad.curvature.escape_saddle(saddle, P, args=(2.0,)))


def test_default_chunking_splits_over_the_workers(executor):
    """Without chunk_size, an executor's 2 workers get about 4 chunks each, of at least 8
    directions: 40 directions in 5 chunks of 8, the serial result with chunk_size=8."""
    assert ad.distributed.default_chunk_size(X.size, executor) == 8
    same(ad.hessian(f, executor=executor)(X), ad.hessian(f, chunk_size=8)(X))
    V = np.random.default_rng(0).standard_normal((X.size, 10))
    same(ad.hessian_times_matrix(f, X, V, executor=executor),
         ad.hessian_times_matrix(f, X, V, chunk_size=8))


class Inline(Executor):
    """Runs each task at once, in this process; says it has two workers."""
    _max_workers = 2

    def __init__(self):
        self.tasks = 0

    def submit(self, fn, *args, **kwargs):
        self.tasks += 1
        future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_default_chunk_size():
    chunks = ad.distributed.default_chunk_size
    assert chunks(40, None) is None and chunks(40, Recorder()) is None  # serial default
    assert chunks(1409, Inline()) == 64  # not above the serial chunk
    assert chunks(100, Inline()) == 13 and chunks(20, Inline()) == 8 and chunks(5, Inline()) == 5
    inline = Inline()
    ad.hessian(f, executor=inline)(X)
    assert inline.tasks == 5  # not one task for 40 <= 128 directions, as serially
    inline = Inline()
    curvature.condition_number(f, X, executor=inline)
    assert inline.tasks == 5  # the dense Hessian's columns, split over the workers


def test_sparse_hessian_equal_serial(executor):
    chain = lambda x: np.sum((x[1:] - x[:-1] ** 2) ** 2) + np.sum(np.sin(x))
    H = ad.sparse_hessian(chain, chunk_size=2, executor=executor)(X)
    S = ad.sparse_hessian(chain, chunk_size=2)(X)
    assert H.nnz == S.nnz
    same(H.toarray(), S.toarray())


def test_hessian_blocks_stay_on_the_workers(client):
    da = pytest.importorskip("dask.array")
    B = hessian_blocks(scaled, X[:12], client, args=(2.0,), chunk_size=5)
    H = ad.hessian(lambda x: scaled(x, 2.0), chunk_size=5)(X[:12])
    assert isinstance(B, da.Array) and B.chunks == ((12,), (5, 5, 2))
    same(da.diagonal(B).compute(), np.diag(H))
    same(B.compute(), H)


def dies_once(x, marker):
    """f, but the first call anywhere (marked by a file) kills its worker process."""
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return f(x)


def test_worker_killed_mid_hessian_retried(client, tmp_path):
    marker = str(tmp_path / "killed")
    H = ad.hessian(dies_once, chunk_size=8, executor=client)(X, marker)
    assert os.path.exists(marker)  # a worker did die
    same(H, ad.hessian(f, chunk_size=8)(X))


class Boom(ValueError):
    pass


def raises(x):
    raise Boom("f failed here")


def test_exception_in_f_comes_back_with_the_chunk(executor):
    with pytest.raises(Boom, match="f failed here") as info:
        ad.hessian(raises, chunk_size=16, executor=executor)(X)
    notes = " ".join(getattr(info.value, "__notes__", [])) + str(info.value)
    assert "hessian(executor=...): raised on a worker in chunk 1 of 3 (directions 0 to 15)" in notes


class Recorder(Executor):
    """An executor whose first task's result is a Ctrl-C; the others stay pending."""

    def __init__(self):
        self.futures = []

    def submit(self, fn, *args, **kwargs):
        future = Future()
        if not self.futures:
            future.set_exception(KeyboardInterrupt())
        self.futures.append(future)
        return future


def test_keyboard_interrupt_cancels_the_rest():
    recorder = Recorder()
    with pytest.raises(KeyboardInterrupt):
        ad.hessian(f, chunk_size=8, executor=recorder)(X)
    assert len(recorder.futures) == 5
    assert all(future.cancelled() for future in recorder.futures[1:])


def test_traced_values_cannot_leave_their_trace():
    def outer(y):
        return np.sum(ad.hessian(lambda x: np.sum(x ** 2 * y), executor=Recorder())(X[:3]))
    with pytest.raises(TypeError, match="traced value"):
        ad.grad(outer)(1.0)


def test_not_an_executor():
    with pytest.raises(TypeError, match="concurrent.futures.Executor"):
        ad.hessian(f, executor=4)
    with pytest.raises(TypeError, match="concurrent.futures.Executor"):
        ad.hessian_times_matrix(f, X, np.eye(X.size), executor="tcp://scheduler:8786")


def test_import_autodiff_imports_no_dask():
    code = ("import sys, autodiff; bad = [m for m in ('dask', 'distributed', 'cloudpickle') "
            "if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True,
                   cwd=os.path.dirname(os.path.dirname(ad.__file__)))


def test_without_cloudpickle_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cloudpickle", None)
    with pytest.raises(ImportError, match=r"autodiff-hessian\[distributed\]"):
        ad.hessian(f, executor=Recorder())(X)
