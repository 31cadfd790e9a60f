"""Regressions in the NumPy-facing API: power's special points, argnums, reshape order, NumPy
keywords, and traced values stored into plain arrays."""
import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp

autograd = pytest.importorskip("autograd")
import autograd.numpy as np_  # noqa: E402


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args)


def _first_and_second(grad, f, x):
    return _quiet(lambda: (float(grad(f)(x)), float(grad(grad(f))(x))))


# --- power at its special points ---------------------------------------------------------------
@pytest.mark.parametrize("name, f, x, expected", [
    ("x**0.0 at 0", lambda x: x ** 0.0, 0.0, (0.0, 0.0)),
    ("x**0 at 0", lambda x: x ** 0, 0.0, (0.0, 0.0)),
    ("x**2 at -3", lambda x: x ** 2, -3.0, (-6.0, 2.0)),
    ("x**2.0 at -3", lambda x: x ** 2.0, -3.0, (-6.0, 2.0)),
    ("x**3 at 0", lambda x: x ** 3, 0.0, (0.0, 0.0)),
    ("x**3 at -2", lambda x: x ** 3, -2.0, (12.0, -12.0)),
    ("x**1.0 at 0", lambda x: x ** 1.0, 0.0, (1.0, 0.0)),
    ("x**0.5 at 0 (as NumPy: inf)", lambda x: x ** 0.5, 0.0, (np.inf, -np.inf)),
    ("(-2)**y", lambda y: (-2.0) ** y, 2.0, (np.nan, np.nan)),
    ("(-2)**y, y not an integer", lambda y: (-2.0) ** y, 0.5, (np.nan, np.nan)),
    ("0**y, y > 0 (0 log 0 taken as 0)", lambda y: 0.0 ** y, 2.0, (0.0, 0.0)),
    ("0**y at y = 0", lambda y: 0.0 ** y, 0.0, (0.0, 0.0)),
    ("2**y", lambda y: 2.0 ** y, 0.5, (2 ** 0.5 * np.log(2), 2 ** 0.5 * np.log(2) ** 2)),
])
def test_power_special_points(name, f, x, expected):
    got = _first_and_second(ad.grad, f, x)
    np.testing.assert_allclose(got, expected, err_msg=name)
    if name != "x**0.5 at 0 (as NumPy: inf)":  # autograd divides by zero there
        np.testing.assert_allclose(_first_and_second(autograd.grad, f, x), expected)


def test_power_forward_mode_agrees():
    for f, x, d in [(lambda x: x ** 0.0, 0.0, 0.0), (lambda y: (-2.0) ** y, 2.0, np.nan),
                    (lambda y: 0.0 ** y, 2.0, 0.0)]:
        _, t = _quiet(ad.jvp, f, (x,), (1.0,))
        np.testing.assert_allclose(t, d)


def test_power_with_an_array_exponent_holding_zeros():
    e = np.array([0.0, 1.0, 2.0, 2.0, 0.0])
    x = np.array([0.0, 0.0, 0.0, -3.0, 2.0])
    f = lambda x: anp.sum(x ** e)
    np.testing.assert_allclose(ad.grad(f)(x), [0.0, 1.0, 0.0, -6.0, 0.0])
    np.testing.assert_allclose(ad.hessian(f)(x), np.diag([0.0, 0.0, 2.0, 2.0, 0.0]))
    np.testing.assert_allclose(ad.jacfwd(f)(x), [0.0, 1.0, 0.0, -6.0, 0.0])


def test_power_traced_exponent_at_zero():
    """x**y at x = y = 0: every partial is 0, with no NaN at any order."""
    f = lambda v: v[0] ** v[1]
    v = np.zeros(2)
    np.testing.assert_array_equal(_quiet(ad.grad(f), v), [0.0, 0.0])
    np.testing.assert_array_equal(_quiet(ad.hessian(f), v), np.zeros((2, 2)))


def test_power_mixed_second_derivative_at_zero_exponent():
    """d2/dx dy x**y = x**(y-1) (1 + y log x) = 1/x at y = 0 (autograd gives x here); both
    orders agree."""
    f = lambda v: v[0] ** v[1]
    h = ad.hessian(f)(np.array([2.0, 0.0]))
    np.testing.assert_allclose(h, [[0.0, 0.5], [0.5, np.log(2.0) ** 2]])


def test_power_check_grads_second_order():
    ad.check_grads(lambda x: anp.sum(x ** np.array([0.0, 1.0, 2.0, 3.0, 0.5])),
                   (np.array([0.5, -1.2, 0.7, -2.0, 1.3]),), order=2)
    ad.check_grads(lambda y: anp.sum(2.0 ** y), (np.array([0.5, -1.2]),), order=2)
    ad.check_grads(lambda x, y: anp.sum(x ** y), (np.array([0.5, 1.2]), np.array([0.3, 2.0])),
                   order=2)


# --- argnums -------------------------------------------------------------------------------------
TRANSFORMS_WITH_ARGNUMS = [ad.grad, ad.value_and_grad, ad.jacrev, ad.jacfwd, ad.hessian]


@pytest.mark.parametrize("transform", TRANSFORMS_WITH_ARGNUMS)
def test_duplicate_argnums_are_refused(transform):
    f = lambda x, y: x * y ** 2
    with pytest.raises(ValueError, match=r"argnums=\(1, 1\) names argument 1 more than once"):
        transform(f, argnums=(1, 1))
    with pytest.raises(ValueError, match=rf"^{transform.__name__}: argnums=\(1, -1\) names "
                                         r"argument 1 more than once"):
        transform(f, argnums=(1, -1))(2.0, 3.0)


@pytest.mark.parametrize("transform", TRANSFORMS_WITH_ARGNUMS)
@pytest.mark.parametrize("argnums", [1.0, "1", None, (0, 1.0), True])
def test_non_integer_argnums_are_refused(transform, argnums):
    with pytest.raises(TypeError, match=r"argnums must be an integer or a tuple of integers"):
        transform(lambda x, y: x * y, argnums=argnums)


@pytest.mark.parametrize("transform", TRANSFORMS_WITH_ARGNUMS)
def test_out_of_range_argnums(transform):
    with pytest.raises(TypeError, match=rf"^{transform.__name__}: argnums=\(0, 2\) but the "
                                        r"function was called with 2"):
        transform(lambda x, y: x * y, argnums=(0, 2))(1.0, 2.0)


def test_negative_argnums_still_work():
    f = lambda x, y: x * y ** 2
    np.testing.assert_allclose(ad.grad(f, argnums=(0, -1))(2.0, 3.0), (9.0, 12.0))


# --- order= in reshape / ravel / flatten -----------------------------------------------------------
def _linear_jacobian(f, x):
    """The Jacobian of a linear NumPy function, column by column from the basis."""
    n = x.size
    cols = [np.ravel(f(np.eye(n)[k].reshape(x.shape))) for k in range(n)]
    return np.stack(cols, axis=-1)


RESHAPES = {
    "np.reshape F": lambda x: np.reshape(x, (3, 2), order="F"),
    "np.reshape C": lambda x: np.reshape(x, (3, 2), order="C"),
    "np.reshape A (C value)": lambda x: np.reshape(x, (3, 2), order="A"),
    "np.reshape A (Fortran value)": lambda x: np.reshape(x.T, (2, 3), order="A"),
    "anp.reshape F": lambda x: anp.reshape(x, (3, 2), order="f"),
    "x.reshape(tuple, order=F)": lambda x: x.reshape((3, 2), order="F"),
    "x.reshape(3, 2, order=F)": lambda x: x.reshape(3, 2, order="F"),
    "x.reshape(-1, order=F)": lambda x: x.reshape(-1, order="F"),
    "np.ravel F": lambda x: np.ravel(x, order="F"),
    "np.ravel A (Fortran value)": lambda x: np.ravel(x.T, order="A"),
    "np.ravel K (Fortran value)": lambda x: np.ravel(x.T, order="K"),
    "x.ravel F": lambda x: x.ravel("F"),
    "x.flatten F": lambda x: x.flatten(order="F"),
}


@pytest.mark.parametrize("name", sorted(RESHAPES))
def test_reshape_order(name):
    f = RESHAPES[name]
    x = np.arange(6.0).reshape(2, 3)
    value = f(ad.stop_gradient(x))
    expected = _linear_jacobian(f, x).reshape(np.shape(value) + x.shape)
    np.testing.assert_array_equal(ad.jacrev(f)(x), expected)
    np.testing.assert_array_equal(ad.jacfwd(f)(x), expected)
    # and the traced value itself
    np.testing.assert_array_equal(ad.jvp(f, (x,), (np.zeros_like(x),))[0], value)


def test_reshape_order_errors():
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(ValueError, match="order must be one of 'C', 'F', 'A', got 'K'"):
        ad.grad(lambda x: np.sum(np.reshape(x, 6, order="K")))(x)
    with pytest.raises(ValueError, match="order must be one of"):
        ad.grad(lambda x: np.sum(x.ravel(order="Z")))(x)
    with pytest.raises(NotImplementedError, match="order='K'.*neither C- nor Fortran-contiguous"):
        ad.grad(lambda x: np.sum(np.ravel(x.transpose(1, 0, 2), order="K")))(np.ones((2, 3, 4)))


# --- NumPy keywords -------------------------------------------------------------------------------
X = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])
MASK = np.array([[True, False, True], [False, True, True]])
KEYWORDS = {  # each: NumPy code with a keyword, run on traced and on plain values
    "sum where": lambda x: np.sum(x, where=MASK),
    "sum where axis keepdims": lambda x: np.sum(x, axis=1, keepdims=True, where=MASK),
    "sum dtype float32": lambda x: np.sum(x, dtype=np.float32),
    "sum initial": lambda x: np.sum(x, axis=0, initial=10.0),
    "x.sum where": lambda x: x.sum(where=MASK),
    "mean where": lambda x: np.mean(x, axis=1, where=MASK),
    "mean dtype": lambda x: np.mean(x, dtype=np.float64),
    "var where": lambda x: np.var(x, axis=1, where=MASK),
    "var mean=": lambda x: np.var(x, axis=1, mean=np.mean(x, axis=1, keepdims=True)),
    "std correction": lambda x: np.std(x, correction=1),
    "x.std ddof keepdims": lambda x: x.std(axis=0, ddof=1, keepdims=True),
    "prod where initial": lambda x: np.prod(x, axis=0, where=MASK, initial=2.0),
    "max initial": lambda x: np.max(x, axis=1, initial=3.5),
    "max where initial": lambda x: np.max(x, axis=1, where=MASK, initial=-10.0),
    "min where initial": lambda x: np.amin(x, axis=0, where=MASK, initial=10.0),
    "x.max initial": lambda x: x.max(initial=5.0),
    "cumsum dtype": lambda x: np.cumsum(x, axis=1, dtype=np.float64),
    "cumprod dtype": lambda x: np.cumprod(x, dtype=np.float64),
    "add.reduce where": lambda x: np.add.reduce(x, axis=1, where=MASK),
    "maximum.reduce": lambda x: np.maximum.reduce(x, axis=1),
    "multiply.reduce keepdims": lambda x: np.multiply.reduce(x, axis=0, keepdims=True),
    "add.accumulate": lambda x: np.add.accumulate(x, axis=1),
    "multiply.accumulate": lambda x: np.multiply.accumulate(x),
    "multiply.outer": lambda x: np.multiply.outer(x[0], x[1]),
    "einsum optimize=True": lambda x: np.einsum("ij,kj->ik", x, x, optimize=True),
    "einsum optimize='greedy'": lambda x: np.einsum("ij,ij->", x, x, optimize="greedy"),
    "einsum dtype": lambda x: np.einsum("ij->j", x, dtype=np.float64),
    "concatenate dtype": lambda x: np.concatenate([x, x], axis=None, dtype=np.float64),
    "stack dtype": lambda x: np.stack([x, 2 * x], axis=1, dtype=np.float64),
    "hstack dtype": lambda x: np.hstack([x, x], dtype=np.float64),
    "ufunc dtype": lambda x: np.exp(x, dtype=np.float64),
    "ufunc casting order": lambda x: np.add(x, 1.0, casting="same_kind", order="C"),
    "clip min=": lambda x: np.clip(x, min=0.0),
    "x.clip max=": lambda x: x.clip(max=0.7),
    "take mode wrap": lambda x: np.take(x, [7, -8], mode="wrap"),
    "take mode clip": lambda x: np.take(x, [[0, 9]], axis=1, mode="clip"),
    "sort kind": lambda x: np.sort(x, axis=0, kind="quicksort"),
    "sort stable": lambda x: np.sort(x, stable=True),
    "diff prepend append": lambda x: np.diff(x, prepend=0.0, append=x[:, :1]),
    "average returned": lambda x: np.prod(np.stack(np.average(x, axis=0, weights=[1.0, 3.0],
                                                               returned=True))),
    "average keepdims": lambda x: np.average(x, axis=1, keepdims=True),
    "median keepdims": lambda x: np.median(x, axis=1, keepdims=True),
    "ptp keepdims": lambda x: np.ptp(x, axis=0, keepdims=True),
    "cross axis": lambda x: np.cross(x, x[::-1] ** 2, axis=1),
    "cross axisa axisc": lambda x: np.cross(x.T, x ** 2, axisa=0, axisc=0),
    "trace dtype": lambda x: np.trace(x, dtype=np.float64),
    "pad constant pairs": lambda x: np.pad(x, 1, constant_values=((1.0, 2.0), (3.0, 4.0))),
    "astype copy": lambda x: x.astype(np.float64, copy=False),
    "anp.asarray order": lambda x: anp.asarray(x, order="F") * 2.0,
    "anp.array ndmin": lambda x: anp.array(x[0, 0], ndmin=2, copy=None),
    "moveaxis by name": lambda x: np.moveaxis(x, source=0, destination=1),
    "reshape by name": lambda x: np.reshape(x, shape=(3, 2)),
    "atleast_2d of several": lambda x: np.atleast_2d(x[0, 0], x[1])[1],
    "where alone (nonzero)": lambda x: x[np.where(x * MASK)],
}


@pytest.mark.parametrize("name", sorted(KEYWORDS))
def test_numpy_keywords_values_and_derivatives(name):
    f = KEYWORDS[name]
    expected = f(X.copy())
    got = ad.jvp(f, (X,), (np.zeros_like(X),))[0]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert np.result_type(got) == np.result_type(expected)
    if "float32" in name:  # finite differences are too coarse in single precision
        return
    ad.check_grads(lambda x: anp.sum(anp.sin(f(x))), (X,), order=2)


def test_where_mask_gives_zero_derivative_to_masked_entries():
    g = ad.grad(lambda x: np.sum(x ** 2, where=MASK))(X)
    np.testing.assert_array_equal(g, np.where(MASK, 2 * X, 0.0))
    g = ad.grad(lambda x: np.mean(x, where=MASK))(X)
    np.testing.assert_array_equal(g, MASK / MASK.sum())


def test_max_initial_that_wins_gives_zero_derivative():
    g = ad.grad(lambda x: np.max(x, initial=10.0))(X)
    np.testing.assert_array_equal(g, np.zeros_like(X))


def test_sum_with_integer_dtype_has_no_derivative():
    """NumPy truncates each entry to the integer dtype: a piecewise constant (as x.astype(int))."""
    f = lambda x: np.sum(x, dtype=int) + np.sum(x)
    assert f(X) == ad.value_and_grad(f)(X)[0]
    np.testing.assert_array_equal(ad.grad(f)(X), np.ones_like(X))


@pytest.mark.parametrize("call, name", [
    (lambda x: np.sum(x, out=np.zeros(())), "sum"),
    (lambda x: x.sum(out=np.zeros(())), "sum"),
    (lambda x: np.mean(x, axis=0, out=np.zeros(3)), "mean"),
    (lambda x: np.max(x, out=np.zeros(())), "max"),
    (lambda x: np.cumsum(x, out=np.zeros(6)), "cumsum"),
    (lambda x: np.einsum("ij->", x, out=np.zeros(())), "einsum"),
    (lambda x: np.dot(x, x.T, out=np.zeros((2, 2))), "dot"),
    (lambda x: np.concatenate([x, x], out=np.zeros((4, 3))), "concatenate"),
    (lambda x: np.exp(x, out=np.zeros((2, 3))), "exp"),
    (lambda x: np.add.reduce(x, out=np.zeros(3)), "add.reduce"),
    (lambda x: np.clip(x, 0, 1, out=np.zeros((2, 3))), "clip"),
])
def test_out_is_refused_by_name(call, name):
    with pytest.raises(TypeError, match=rf"autodiff's np\.{name} does not support the keyword "
                                        r"'out'.*immutable"):
        ad.grad(lambda x: np.sum(call(x)))(X)


def test_ufunc_where_and_other_keywords_are_refused_by_name():
    with pytest.raises(TypeError, match=r"np\.exp does not support the keyword 'where'.*np\.where"):
        ad.grad(lambda x: np.sum(np.exp(x, where=MASK)))(X)
    with pytest.raises(TypeError, match=r"np\.add does not support the keyword 'signature'"):
        ad.grad(lambda x: np.sum(np.add(x, 1.0, signature="dd->d")))(X)
    with pytest.raises(TypeError, match=r"np\.matmul does not support the keyword 'axes'"):
        ad.grad(lambda x: np.sum(np.matmul(x, x.T, axes=[(0, 1), (0, 1), (0, 1)])))(X)
    with pytest.raises(TypeError, match=r"np\.sin does not support the keyword 'out'"):
        anp.sin(anp.array([1.0]), out=np.zeros(1))


def test_ufunc_dtype_follows_numpy_casting():
    with pytest.raises(TypeError, match="cannot cast from float64 to int64"):
        ad.grad(lambda x: np.sum(np.exp(x, dtype=np.int64)))(X)
    with pytest.raises(TypeError, match="cannot cast from float64 to float32.*'safe'"):
        ad.grad(lambda x: np.einsum("ij->", x, dtype=np.float32))(X)


def test_unknown_keywords_are_named():
    with pytest.raises(TypeError, match=r"autodiff's np\.ndarray\.sum does not support the "
                                        r"keyword 'foo'.*it takes axis, dtype, initial, keepdims"):
        ad.grad(lambda x: x.sum(foo=1))(X)
    with pytest.raises(ValueError, match="'initial'"):
        ad.grad(lambda x: np.max(x, where=MASK))(X)
    with pytest.raises(TypeError, match=r"np\.sort does not support the keyword 'order'"):
        ad.grad(lambda x: np.sum(np.sort(x, order="f0")))(X)
    with pytest.raises(TypeError, match=r"np\.interp does not support the keyword 'period'"):
        ad.grad(lambda x: np.sum(np.interp(x, [0.0, 1.0], [1.0, 2.0], period=1.0)))(X)


def _keywords(fn):
    import inspect
    params = inspect.signature(fn).parameters.values()
    return {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY,
                                                 p.POSITIONAL_ONLY)}


def test_every_numpy_keyword_is_in_our_signatures():
    """For each function of autodiff.numpy (other than ufuncs, which share one keyword handler,
    and the constant functions, which are NumPy's own), NumPy's parameters are ours too: each
    is supported, or refused by name inside the function."""
    import autodiff.numpy as namespace
    missing = {}
    for name in namespace.__all__:
        fn, np_fn = getattr(namespace, name), getattr(np, name, None)
        if np_fn is None or isinstance(np_fn, np.ufunc) or getattr(fn, "nondiff", False):
            continue
        try:
            theirs = _keywords(np_fn) - {"kwargs"}
        except (TypeError, ValueError):
            continue
        ours = _keywords(fn)
        if theirs - ours:
            missing[name] = sorted(theirs - ours)
    assert not missing


# --- a traced value stored into a plain NumPy array ----------------------------------------------
def _store_scalar(x):
    buf = np.zeros(3)
    buf[0] = x[0]
    return buf


def _store_scalar_float32(x):
    buf = np.zeros(3, dtype=np.float32)
    buf[1] = x[0]
    return buf


def _store_scalar_int(x):
    buf = np.zeros(3, dtype=int)
    buf[1] = x[0]
    return buf


def _store_row(x):
    buf = np.zeros((2, 3))
    buf[0] = x
    return buf


def _store_slice(x):
    buf = np.zeros(3)
    buf[:2] = x[:2]
    return buf


def _store_fancy(x):
    buf = np.zeros(3)
    buf[[0, 2]] = x[:2]
    return buf


def _fill(x):
    buf = np.zeros(3)
    buf.fill(x[0])
    return buf


@pytest.mark.parametrize("store", [_store_scalar, _store_scalar_float32, _store_scalar_int,
                                   _store_row, _store_slice, _store_fancy, _fill])
@pytest.mark.parametrize("transform", [ad.grad, ad.jacfwd, ad.hessian])
def test_storing_a_traced_value_into_a_numpy_array_says_what_to_do(store, transform):
    """NumPy converts the value with float() (scalars, then reports 'setting an array element
    with a sequence' with our error as its cause) or __array__ (arrays): either way the message
    names the assignment and the way out."""
    with pytest.raises((TypeError, ValueError)) as info:
        transform(lambda x: np.sum(store(x)))(np.ones(3))
    err = info.value
    if isinstance(err, ValueError):  # NumPy's own, for a scalar stored into a float array
        assert "setting an array element with a sequence" in str(err)
        err = err.__cause__
    assert isinstance(err, TypeError)
    assert "storing a traced value into a NumPy array (`buf[i] = x`" in str(err)
    assert "np.stack" in str(err) and "np.where(mask, x, buf)" in str(err)


def test_the_suggested_rewrite_works():
    def f(x):
        buf = np.stack([x[0], 0.0 * x[0], x[1] ** 2])
        return np.sum(np.where(np.array([True, False, True]), buf, 5.0))
    np.testing.assert_allclose(ad.grad(f)(np.array([1.0, 3.0])), [1.0, 6.0])


def test_masked_mean_keeps_single_precision():
    x = X.astype(np.float32)
    for f in (lambda x: np.mean(x, axis=1, where=MASK), lambda x: np.var(x, axis=1, where=MASK)):
        got = ad.jvp(f, (x,), (x,))[0]
        assert got.dtype == np.float32 == f(x).dtype
        np.testing.assert_allclose(got, f(x), rtol=1e-6)


# --- kron, cross and convolve beyond the common shapes (found by the differential suite) -------
def _against_numpy_and_autograd(ours, theirs, args, autograd_too=True):
    """Values as NumPy's, the gradient of a smooth head as autograd's, and first and second
    derivatives against finite differences."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # NumPy 2's 2-vector cross
        np.testing.assert_allclose(ours(np, *args), theirs(np, *args), rtol=1e-12, atol=1e-12)
        head = lambda lib: lambda *a: lib.sum(lib.sin(ours(lib, *a)))
        argnums = tuple(range(len(args)))
        want = autograd.grad(lambda *a: np_.sum(np_.sin(theirs(np_, *a))), argnums)(*args)
        got = ad.grad(head(np), argnums=argnums)(*args)
        for g, w in zip(got, want if autograd_too else got):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
        ad.check_grads(head(np), args, order=2)


_r = np.random.default_rng(7)


@pytest.mark.parametrize("sa, sb", [((2, 2), (2,)), ((3,), (2, 2)), ((2, 1, 3), (2, 2)),
                                    ((3,), (2, 2, 2)), ((2, 3, 2), (2, 1, 2)), ((), (3,)),
                                    ((2,), ())])
def test_kron_of_any_ranks(sa, sb):
    """autograd's kron is the oracle up to rank 2 (its derivative is wrong at rank 3, where
    finite differences alone judge)."""
    a, b = _r.normal(size=sa), _r.normal(size=sb)
    nd = max(len(sa), len(sb))

    def theirs(lib, a, b):
        if lib is np or not sa or not sb:
            return np.kron(a, b) if lib is np else a * b
        up = lambda v, s: np_.reshape(v, (1,) * (nd - len(s)) + s)
        return np_.kron(up(a, sa), up(b, sb))
    _against_numpy_and_autograd(lambda lib, a, b: lib.kron(a, b), theirs, (a, b),
                                autograd_too=nd <= 2)


@pytest.mark.parametrize("sa, sb", [((2,), (2,)), ((4, 2), (2,)), ((2,), (4, 3)), ((4, 3), (2,)),
                                    ((2, 2), (2, 2))])
def test_cross_of_2_vectors_as_numpy(sa, sb):
    """NumPy 2 deprecates 2-vectors (with a warning) but still computes: two of them give the
    z component alone, a 2-vector with a 3-vector takes z = 0."""
    a, b = _r.normal(size=sa), _r.normal(size=sb)
    batch = np.broadcast_shapes(sa[:-1], sb[:-1]) + (3,)  # autograd's cross: equal shapes only
    pad3 = lambda lib, v: np.ones(batch) * (v if v.shape[-1] == 3 else lib.concatenate(
        [v, lib.zeros(v.shape[:-1] + (1,))], axis=-1))

    def theirs(lib, a, b):
        c = np.cross(pad3(np, a), pad3(np, b)) if lib is np else np_.cross(pad3(np_, a),
                                                                              pad3(np_, b))
        return c[..., 2] if sa[-1] == sb[-1] == 2 else c
    _against_numpy_and_autograd(lambda lib, a, b: lib.cross(a, b), theirs, (a, b))
    with pytest.warns(DeprecationWarning, match="2-dimensional vectors"):
        ad.grad(lambda a: np.sum(np.cross(a, b)))(a)


def test_cross_refuses_what_numpy_refuses():
    with pytest.raises(ValueError, match="dimension must be 2 or 3"):
        ad.grad(lambda a: np.sum(np.cross(a, a)))(np.ones(4))
    with pytest.raises(ValueError, match="zero dimension"):
        ad.grad(lambda a: np.sum(np.cross(a[0], a)))(np.ones(3))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("sa, sb", [((4,), ()), ((), (4,)), ((), ()), ((2,), (5,))])
def test_convolve_with_a_0d_operand_is_a_length_1_kernel(sa, sb, mode):
    a, b = _r.normal(size=sa), _r.normal(size=sb)
    _against_numpy_and_autograd(lambda lib, a, b: lib.convolve(a, b, mode),
                                lambda lib, a, b: _convolve_by_outer(lib, a, b, mode), (a, b))


def _convolve_by_outer(lib, a, b, mode):
    """The oracle: sums of the outer product's anti-diagonals (autograd has no convolve VJP
    in both operands), cut as NumPy's modes define."""
    a, b = lib.reshape(a, (-1,)), lib.reshape(b, (-1,))
    n, m = a.shape[0], b.shape[0]
    i, j = np.divmod(np.arange(n * m), m)
    sums = (np.arange(n + m - 1)[:, None] == (i + j)[None, :]).astype(float)
    full = lib.dot(sums, lib.reshape(lib.outer(a, b), (-1,)))
    lo, hi = min(n, m), max(n, m)
    start, size = {"full": (0, n + m - 1), "same": ((lo - 1) // 2, hi),
                   "valid": (lo - 1, hi - lo + 1)}[mode]
    return full[start:start + size]


def test_convolve_of_an_element_of_its_own_input():
    f = lambda a: np.sum(np.convolve(a, a[0]) ** 2)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(ad.grad(f)(x), autograd.grad(
        lambda a: np_.sum(_convolve_by_outer(np_, a, a[0], "full") ** 2))(x))
    ad.check_grads(f, (x,), order=2)


# --- lists where NumPy takes arrays ------------------------------------------------------------
_M = [[2.0, 0.5], [0.5, 1.0]]


@pytest.mark.parametrize("name, args", [
    ("diag", ([1.0, 2.0],)), ("diag", (_M,)), ("prod", ([1.5, 2.0, 3.0],)),
    ("cumprod", ([1.5, 2.0, 3.0],)), ("pad", ([1.0, 2.0], 1)), ("deg2rad", ([90.0, 45.0],)),
    ("rad2deg", ([1.0, 2.0],)), ("linalg.norm", ([3.0, 4.0],)),
    ("linalg.vector_norm", ([3.0, 4.0],)), ("linalg.matrix_norm", (_M,)),
    ("kron", ([1.0, 2.0], (3.0, 4.0))), ("convolve", ([1.0, 2.0], [0.5])),
    ("cross", ([1.0, 2.0, 3.0], [0.5, 1.0, 0.0])), ("mean", ([1.0, 2.0],)),
    ("exp", ([1.0, 2.0],)), ("stack", ([[1.0, 2.0], (3.0, 4.0)],)),
])
def test_plain_lists_are_read_as_numpy_reads_them(name, args):
    fn = lambda lib: getattr(lib.linalg, name[7:]) if name.startswith("linalg.") else \
        getattr(lib, name)
    np.testing.assert_allclose(fn(anp)(*args), fn(np)(*args), rtol=1e-14)


@pytest.mark.parametrize("name", ["diag", "prod", "pad", "deg2rad", "kron", "convolve",
                                  "mean", "exp", "sum", "linalg.norm", "linalg.det"])
def test_lists_of_traced_scalars_are_stacked_as_anp_array_does(name):
    """anp.<name>([x[0], 2.0, x[1] ** 2]) (a list holding traced values) is anp.<name> of
    anp.array of that list: derivatives as autograd's of the stacked array, and as finite
    differences' (first and second order)."""
    extra = {"pad": (1, "constant"), "kron": ([1.0, -2.0],), "convolve": ([0.5, 3.0],)}.get(
        name, ())
    fn = lambda lib: getattr(lib.linalg, name[7:]) if name.startswith("linalg.") else \
        getattr(lib, name)
    if name == "convolve":  # autograd has no convolve VJP
        fn = lambda lib: lib.convolve if lib is anp else \
            lambda a, v: _convolve_by_outer(np_, a, np.array(v), "full")
    if name == "linalg.det":
        ours = lambda x: anp.sum(fn(anp)([[x[0], 2.0], [x[1] ** 2, 1.0]]))
        theirs = lambda x: np_.sum(fn(np_)(np_.array([[x[0], 2.0], [x[1] ** 2, 1.0]])))
    else:
        ours = lambda x: anp.sum(anp.sin(fn(anp)([x[0], 2.0, x[1] ** 2], *extra)))
        theirs = lambda x: np_.sum(np_.sin(fn(np_)(np_.array([x[0], 2.0, x[1] ** 2]), *extra)))
    x = np.array([0.7, -1.3])
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-13)
    np.testing.assert_allclose(ad.grad(ours)(x), autograd.grad(theirs)(x), rtol=1e-12)
    ad.check_grads(ours, (x,), order=2)
