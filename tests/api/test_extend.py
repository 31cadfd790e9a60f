"""autodiff.extend's custom_jvp and custom_vjp: JAX's semantics, every transform, clear misuse."""
import functools

import autograd
import autograd.numpy as agnp
import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp
from autodiff.extend import custom_jvp, custom_vjp, primitive


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(x / 2))


def softplus_plain(x):
    """Stable values (no overflow in the branch taken), yet plain differentiation gives NaN at
    extreme inputs: the branch not taken overflows, and 0 * inf is NaN."""
    return np.where(x > 0, x + np.log1p(np.exp(-x)), np.log1p(np.exp(x)))


@custom_jvp
def softplus(x):
    return softplus_plain(x)


@softplus.defjvp
def softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t * _sigmoid(x)  # the sigmoid, written stably for every order


@custom_vjp
def clip_gradient(lo, hi, x):
    return x  # the identity, whose gradient is clipped (JAX's documentation example)


def clip_gradient_fwd(lo, hi, x):
    return x, (lo, hi)


def clip_gradient_bwd(res, g):
    lo, hi = res
    return (None, None, np.clip(g, lo, hi))


clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)


@custom_vjp
def sin_times(x, y):
    return np.sin(x) * y


def sin_times_fwd(x, y):
    return sin_times(x, y), (np.cos(x), np.sin(x), y)


def sin_times_bwd(res, g):
    cos_x, sin_x, y = res
    return (cos_x * g * y, np.sum(sin_x * g))


sin_times.defvjp(sin_times_fwd, sin_times_bwd)

X = np.array([-1.3, -0.2, 0.4, 1.1])
EXTREME = np.array([-1000.0, -1.0, 0.5, 1000.0])


def total_softplus(x):
    return anp.sum(softplus(x) ** 2)


def test_custom_jvp_fixes_the_nan_of_plain_differentiation():
    plain = lambda x: anp.sum(softplus_plain(x))
    custom = lambda x: anp.sum(softplus(x))
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(ad.grad(plain)(EXTREME)).any()
        assert np.allclose(softplus(EXTREME), softplus_plain(EXTREME))
        assert np.allclose(ad.grad(custom)(EXTREME), _sigmoid(EXTREME))
        assert np.allclose(ad.jacfwd(softplus)(EXTREME), np.diag(_sigmoid(EXTREME)))
        s = _sigmoid(EXTREME)
        assert np.allclose(ad.hessian(custom)(EXTREME), np.diag(s * (1 - s)))


def test_custom_jvp_against_finite_differences_and_autograd():
    ad.check_grads(softplus, (X,), order=2)
    ad.check_grads(total_softplus, (X,), order=2)
    reference = lambda x: agnp.sum(agnp.logaddexp(0.0, x) ** 2)
    assert np.allclose(ad.grad(total_softplus)(X), autograd.grad(reference)(X))
    assert np.allclose(ad.hessian(total_softplus)(X), autograd.hessian(reference)(X))


def test_custom_jvp_rule_is_what_is_differentiated():
    """A deliberately different rule shows that the rule, not f, is used in every mode."""
    @custom_jvp
    def f(x):
        return np.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), 2.0 * x * t  # d/dx says x**2

    x = np.array([0.3, -0.7])
    assert np.allclose(ad.grad(lambda x: anp.sum(f(x)))(x), 2 * x)
    assert np.allclose(ad.jvp(f, (x,), (np.ones(2),))[1], 2 * x)
    assert np.allclose(ad.hessian(lambda x: anp.sum(f(x)))(x), 2 * np.eye(2))
    # (f**2)'' = (2 f f')' = 2 f'^2 + 2 f f'' with f = sin, f' = 2x, f'' = 2
    assert np.isclose(ad.grad(ad.grad(lambda x: f(x) ** 2))(0.5), 2 + 4 * np.sin(0.5))


def test_custom_jvp_of_several_arguments_and_pytrees():
    @custom_jvp
    def f(params, x):
        return np.tanh(params["w"] @ x + params["b"])

    @f.defjvp
    def f_jvp(primals, tangents):
        (p, x), (tp, tx) = primals, tangents
        y = f(p, x)
        return y, (1 - y ** 2) * (tp["w"] @ x + p["w"] @ tx + tp["b"])

    rng = np.random.default_rng(0)
    p = {"w": rng.normal(size=(3, 4)), "b": rng.normal(size=3)}
    x = rng.normal(size=4)
    reference = lambda p, x: agnp.tanh(agnp.dot(p["w"], x) + p["b"])
    loss = lambda p, x: anp.sum(f(p, x) ** 3)
    flat = lambda w, b, x: f({"w": w, "b": b}, x)
    ad.check_grads(flat, (p["w"], p["b"], x), order=2)
    ad.check_grads(lambda w, b, x: anp.sum(flat(w, b, x) ** 3), (p["w"], p["b"], x), order=2)
    g = ad.grad(loss, argnums=(0, 1))(p, x)
    want = autograd.grad(lambda p, x: agnp.sum(reference(p, x) ** 3), argnum=(0, 1))(p, x)
    assert np.allclose(g[0]["w"], want[0]["w"]) and np.allclose(g[0]["b"], want[0]["b"])
    assert np.allclose(g[1], want[1])
    assert np.allclose(ad.jacfwd(f, argnums=1)(p, x), ad.jacrev(f, argnums=1)(p, x))


def test_custom_jvp_nondiff_argnums_takes_a_callable():
    @functools.partial(custom_jvp, nondiff_argnums=(0,))
    def app(fn, x):
        return fn(x)

    @app.defjvp
    def app_jvp(fn, primals, tangents):
        (x,), (t,) = primals, tangents
        return app(fn, x), 3.0 * t

    x = np.array([0.2, 0.4])
    assert np.allclose(ad.grad(lambda x: anp.sum(app(np.sin, x)))(x), 3.0)
    assert np.allclose(ad.hessian(lambda x: anp.sum(app(np.sin, x) ** 2))(x), 18 * np.eye(2))


def test_custom_vjp_clips_the_gradient():
    """JAX's example: the identity, with its cotangent clipped to [lo, hi]."""
    f = lambda x: anp.sum(np.sin(clip_gradient(-0.75, 0.75, x)))
    x = np.array([-1.0, 0.5, 2.0, 3.0])  # cos: 0.54 (kept), 0.88 (clipped), -0.42, -0.99 (clipped)
    assert np.allclose(ad.grad(f)(x), np.clip(np.cos(x), -0.75, 0.75))
    assert not np.allclose(ad.grad(f)(x), np.cos(x))
    clipped = np.abs(np.cos(x)) > 0.75
    assert np.allclose(ad.hessian(f)(x), np.diag(np.where(clipped, 0.0, -np.sin(x))))
    # where nothing is clipped (check_grads draws random cotangents: wide bounds) it is the
    # true derivative, in every mode and order
    wide = lambda x: anp.sum(np.sin(clip_gradient(-100.0, 100.0, x)) ** 2)
    ad.check_grads(wide, (x,), order=2)
    # forward mode differentiates the function itself (the identity): the true derivative
    assert np.allclose(ad.jacfwd(lambda x: clip_gradient(-0.75, 0.75, x))(x), np.eye(4))


def test_custom_vjp_of_two_arguments_against_autograd():
    x, y = np.array([0.3, -1.2, 2.0]), 1.7
    loss = lambda x, y: anp.sum(sin_times(x, y) ** 2)
    reference = lambda x, y: agnp.sum((agnp.sin(x) * y) ** 2)
    ad.check_grads(sin_times, (x, y), order=2)
    ad.check_grads(loss, (x, y), order=2)
    for argnum in (0, 1):
        assert np.allclose(ad.grad(loss, argnums=argnum)(x, y),
                           autograd.grad(reference, argnum)(x, y))
    assert np.allclose(ad.hessian(loss)(x, y), autograd.hessian(reference)(x, y))


def test_custom_vjp_bwd_runs_once_per_sweep_and_not_on_plain_calls():
    calls = []

    @custom_vjp
    def f(x, y):
        return x * y

    def f_bwd(res, g):
        calls.append(1)
        x, y = res
        return g * y, g * x

    f.defvjp(lambda x, y: (x * y, (x, y)), f_bwd)
    assert f(2.0, 3.0) == 6.0 and not calls
    assert ad.grad(lambda x, y: f(x, y), argnums=(0, 1))(2.0, 3.0) == (3.0, 2.0)
    assert len(calls) == 1


@pytest.mark.parametrize("fun", [total_softplus,
                                 lambda x: anp.sum(sin_times(x, 1.5) ** 2),
                                 lambda x: anp.sum(np.sin(clip_gradient(-0.75, 0.75, x)) ** 2)],
                         ids=["custom_jvp", "custom_vjp", "clip_gradient"])
def test_hessian_batched_hvp_and_sparse_hessian_agree(fun):
    x = X
    V = np.random.default_rng(1).normal(size=(3, x.size))
    singles = np.stack([ad.hvp(fun, x, v) for v in V])
    assert np.allclose(ad.hvp(fun, x, V, batched=True), singles)
    H = ad.hessian(fun)(x)
    assert np.allclose(H @ V.T, singles.T)
    assert np.allclose(H, H.T)
    # a custom function couples all its inputs (a superset of the true pattern)
    assert np.allclose(ad.sparse_hessian(fun)(x).toarray(), H)
    assert ad.hessian_sparsity(fun, x).toarray().all()


def test_nested_derivatives():
    d2 = ad.grad(ad.grad(lambda x: softplus(x) ** 2))
    x = 0.7
    s, sp = np.logaddexp(0, x), _sigmoid(x)
    assert np.isclose(d2(x), 2 * sp ** 2 + 2 * s * sp * (1 - sp))
    d2v = ad.grad(ad.grad(lambda x: sin_times(x, 2.0)))
    assert np.isclose(d2v(x), -2 * np.sin(x))
    d3 = ad.grad(ad.grad(ad.grad(lambda x: softplus(x))))
    assert np.isclose(d3(x), sp * (1 - sp) * (1 - 2 * sp))


def test_keyword_arguments_bind_to_positional_parameters():
    @custom_jvp
    def scale(x, factor=2.0):
        return factor * x

    @scale.defjvp
    def scale_jvp(primals, tangents):
        (x, factor), (tx, tf) = primals, tangents
        return scale(x, factor), factor * tx + x * tf

    assert np.isclose(ad.grad(lambda x: scale(x=x))(1.5), 2.0)
    assert np.isclose(ad.grad(lambda f: scale(3.0, factor=f))(1.5), 3.0)


def test_decorated_functions_stay_out_of_the_registry():
    from autodiff.core.primitive import REGISTRY
    before = set(REGISTRY)
    fs = []
    for k in range(50):
        @custom_jvp
        def f(x, k=k):
            return k * x
        f.defjvp(lambda p, t, k=k: (k * p[0], k * t[0]))
        fs.append(f)
    assert [ad.grad(f)(1.0) for f in fs[:3]] == [0.0, 1.0, 2.0]
    assert set(REGISTRY) == before
    # a user's primitive of the same name is unaffected
    mine = primitive("f", lambda x: 5 * x, jvp=[lambda t: 5 * t], vjp=[lambda g: 5 * g])
    assert ad.grad(mine)(1.0) == 5.0 and ad.grad(fs[7])(1.0) == 7.0


# --- misuse ------------------------------------------------------------------------------------
def _custom_vjp(fwd, bwd, fun=lambda x, y: x * y):
    f = custom_vjp(fun)
    f.defvjp(fwd, bwd)
    return f


def test_bwd_with_the_wrong_number_of_cotangents():
    f = _custom_vjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g * res[1],))
    with pytest.raises(ValueError, match=r"custom_vjp function .*: bwd must return a tuple of 2 "
                                         r"cotangents \(one per differentiated argument\), got 1"):
        ad.grad(lambda x: anp.sum(f(x, np.ones(2))))(np.ones(2))
    g = _custom_vjp(lambda x, y: (x * y, (x, y)), lambda res, g: g * res[1])
    with pytest.raises(ValueError, match="tuple of 2 cotangents"):
        ad.grad(lambda x: anp.sum(g(x, np.ones(2))))(np.ones(2))


def test_bwd_with_mismatched_shapes_or_structure():
    f = _custom_vjp(lambda x, y: (x * y, None), lambda res, g: (np.sum(g), g))
    with pytest.raises(ValueError, match=r"bwd's cotangent 0 has shape \(\), its argument \(3,\)"):
        ad.grad(lambda x: anp.sum(f(x, np.ones(3))))(np.ones(3))
    h = _custom_vjp(lambda p: (p["a"], None), lambda res, g: ([g],), fun=lambda p: p["a"])
    with pytest.raises(ValueError, match="structure"):
        ad.grad(lambda a: anp.sum(h({"a": a})))(np.ones(3))


def test_jvp_rule_with_a_wrong_primal_or_tangent():
    @custom_jvp
    def f(x):
        return np.sin(x)

    f.defjvp(lambda p, t: (np.cos(p[0]), np.cos(p[0]) * t[0]))
    with pytest.raises(ValueError, match=r"custom_jvp function .*f: the JVP rule's primal_out"):
        ad.grad(f)(0.5)
    with pytest.raises(ValueError, match="primal_out"):
        ad.jvp(f, (0.5,), (1.0,))

    f.defjvp(lambda p, t: (f(p[0]), np.ones(3) * t[0]))
    with pytest.raises(ValueError, match=r"tangent_out has shape \(3,\), the output has shape"):
        ad.jvp(f, (0.5,), (1.0,))

    f.defjvp(lambda p, t: (f(p[0]), np.cos(p[0]) * t[0] + 1.0))
    with pytest.raises(ValueError, match="not linear in the tangents"):
        ad.grad(f)(0.5)

    f.defjvp(lambda p, t: f(p[0]))
    with pytest.raises(TypeError, match=r"must return a pair \(primal_out, tangent_out\)"):
        ad.grad(f)(0.5)


def test_missing_rules_unsupported_arguments_and_outputs():
    @custom_jvp
    def f(x, *, scale=1.0):
        return scale * x

    with pytest.raises(NotImplementedError, match=r"has no JVP rule: define it with @.*defjvp"):
        ad.grad(f)(1.0)
    assert f(2.0) == 2.0  # no derivative asked: the function itself
    f.defjvp(lambda p, t: (f(p[0]), t[0]))
    with pytest.raises(TypeError, match="keyword-only arguments"):
        ad.grad(lambda x: f(x, scale=2.0))(1.0)

    @custom_jvp
    def g(x, name):
        return x

    g.defjvp(lambda p, t: (p[0], t[0]))
    with pytest.raises(TypeError, match="got str 'a'; declare other arguments with nondiff"):
        ad.grad(lambda x: g(x, "a"))(1.0)

    @functools.partial(custom_jvp, nondiff_argnums=(1,))
    def h(x, c):
        return x * c

    h.defjvp(lambda c, p, t: (h(p[0], c), c * t[0]))
    with pytest.raises(TypeError, match="argument 1 is declared in nondiff_argnums but is being"):
        ad.grad(lambda c: h(2.0, c))(1.0)
    assert ad.grad(lambda x: h(x, 3.0))(1.0) == 3.0

    @custom_jvp
    def pair(x):
        return x, x

    pair.defjvp(lambda p, t: (pair(p[0]), [t[0], t[0]]))  # a list where f gives a tuple
    with pytest.raises(ValueError, match=r"tangent_out has the structure \[\*, \*\], the "
                                         r"function's output \(\*, \*\)"):
        ad.grad(lambda x: pair(x)[0])(1.0)

    @custom_jvp
    def with_count(x):
        return x, np.arange(3)

    with_count.defjvp(lambda p, t: (with_count(p[0]), (t[0], None)))
    with pytest.raises(TypeError, match="pytree of floating arrays .* dtype int64"):
        ad.grad(lambda x: with_count(x)[0])(1.0)

    with pytest.raises(TypeError, match="nondiff_argnums must be distinct"):
        custom_vjp(lambda x: x, nondiff_argnums=(0, 0))


def test_forward_mode_of_a_custom_vjp_function_that_cannot_be_traced():
    @custom_vjp
    def f(x):
        return np.asarray(x) * 2.0  # plain NumPy only: not differentiable itself

    f.defvjp(lambda x: (f(x), None), lambda res, g: (2.0 * g,))
    assert ad.grad(lambda x: anp.sum(f(x)))(np.ones(2)).tolist() == [2.0, 2.0]
    with pytest.raises(NotImplementedError,
                       match=r"custom_vjp function .*f: forward mode .* differentiates"):
        ad.jacfwd(f)(np.ones(2))


def test_a_vjp_function_called_twice_with_the_same_cotangent():
    """The rule's cotangents are handed out one argument at a time: a second sweep with the
    very same cotangent array must compute them again, not find them handed out."""
    x, u = np.array([0.3, -1.2]), np.array([1.0, 2.0])
    for f in (lambda x: sin_times(x, 2.0), lambda x: softplus(x) * 2.0):
        _, pull = ad.vjp(f, x)
        first = pull(u)[0]
        assert np.allclose(pull(u)[0], first) and np.allclose(pull(u)[0], first)


def test_defjvps_one_rule_per_argument():
    @custom_jvp
    def f(x, y):
        return np.sin(x) * y

    f.defjvps(lambda tx, out, x, y: np.cos(x) * tx * y, lambda ty, out, x, y: np.sin(x) * ty)
    x, y = np.array([0.3, 1.1]), np.array([2.0, -0.5])
    ad.check_grads(f, (x, y), order=2)
    gx, gy = ad.grad(lambda x, y: anp.sum(f(x, y)), argnums=(0, 1))(x, y)
    assert np.allclose(gx, np.cos(x) * y) and np.allclose(gy, np.sin(x))
    f.defjvps(lambda tx, out, x, y: np.cos(x) * tx * y)
    with pytest.raises(TypeError, match="defjvps was given 1 rules for 2 arguments"):
        ad.grad(lambda x: anp.sum(f(x, y)))(x)


def test_a_ufunc_implementation_gets_numpys_argument_names():
    """(NumPy before 2.4 gives ufuncs no signature: the names come from the ufunc itself.)"""
    from autodiff.extend import primitive
    p = primitive("extend_test_hypot", np.hypot,
                  diagonal=[lambda out, x1: x1 / out, lambda out, x2: x2 / out])
    assert p.args == ("x1", "x2")
    ad.check_grads(p, (np.array([3.0, 1.0]), np.array([4.0, 2.0])), order=2)


def test_pytree_outputs_of_custom_functions_to_second_order():
    """A custom function may return a pytree (ravelled into the primitive's one output and cut
    back apart): every leaf gets its derivative, the rules see the same structure."""
    @custom_jvp
    def sincos(x):
        return {"s": np.sin(x), "c": np.cos(x)}

    @sincos.defjvp
    def sincos_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return sincos(x), {"s": np.cos(x) * t, "c": -np.sin(x) * t}

    @custom_vjp
    def parts(x, y):
        return x * y, (x + y, np.exp(x))

    def parts_fwd(x, y):
        return parts(x, y), (x, y)

    def parts_bwd(res, g):
        x, y = res
        g_prod, (g_sum, g_exp) = g                    # g has the output's structure
        return g_prod * y + g_sum + g_exp * np.exp(x), g_prod * x + g_sum

    parts.defvjp(parts_fwd, parts_bwd)

    def f(x):
        sc = sincos(x)
        prod, (total, e) = parts(x, 2.0 * x)
        return anp.sum(sc["s"] * sc["c"] ** 2 + prod * total + np.sin(e))

    def plain(x):
        return anp.sum(np.sin(x) * np.cos(x) ** 2 + 2 * x * x * 3 * x + np.sin(np.exp(x)))

    x = np.array([0.3, -1.2, 0.8])
    v = np.array([1.0, 0.5, -2.0])
    assert np.allclose(ad.grad(f)(x), ad.grad(plain)(x))
    assert np.allclose(ad.hessian(f)(x), ad.hessian(plain)(x))
    assert np.allclose(ad.hvp(f, x, v), ad.hvp(plain, x, v))
    assert np.allclose(ad.jacfwd(lambda x: sincos(x)["c"])(x), np.diag(-np.sin(x)))
    assert np.allclose(ad.jacrev(lambda x: parts(x, x)[1][1])(x), np.diag(np.exp(x)))
    assert np.allclose(ad.jit(ad.grad(f))(x + 1.0), ad.grad(plain)(x + 1.0))
    ad.check_grads(lambda x: parts(x, x ** 2)[1][0], (x,), order=2)
    out = parts(x, x)  # no tracing: the function itself
    assert isinstance(out, tuple) and np.allclose(out[1][1], np.exp(x))


def test_pytree_output_mixing_complex_and_real_leaves():
    @custom_jvp
    def rotate_and_norm(x):
        return x * (1 + 2j), np.sum(x ** 2)

    rotate_and_norm.defjvp(lambda p, t: (rotate_and_norm(p[0]),
                                         (t[0] * (1 + 2j), np.sum(2 * p[0] * t[0]))))

    def f(x):
        z, n = rotate_and_norm(x)
        assert n.dtype.kind == "f"  # the real leaf stays real
        return anp.sum(np.abs(z) ** 2) + n

    x = np.array([0.3, -1.2])
    assert np.allclose(ad.grad(f)(x), 12 * x)
    assert np.allclose(ad.hessian(f)(x), 12 * np.eye(2))


def test_constant_partials_are_kept_and_failing_ones_fail_at_every_use():
    """A partial naming nothing is a constant, kept after its first application (1, -1 and 0
    then cost nothing); one that raises (a derivative not implemented) raises at every use."""
    calls = []

    def three():
        calls.append(1)
        return 3.0

    triple = primitive("test_triple_const", lambda x: 3.0 * x, diagonal=[three])
    x = np.array([0.5, -1.0])
    for _ in range(3):
        assert ad.grad(lambda z: anp.sum(triple(z)))(x).tolist() == [3.0, 3.0]
        assert ad.jacfwd(triple)(x).tolist() == [[3.0, 0.0], [0.0, 3.0]]
    assert ad.hessian(lambda z: anp.sum(triple(z) ** 2))(x).tolist() == [[18.0, 0.0], [0.0, 18.0]]
    assert len(calls) == 1

    def not_implemented():
        raise NotImplementedError("no derivative here")

    opaque = primitive("test_opaque_const", lambda x: x + 1.0, diagonal=[not_implemented])
    for _ in range(2):
        with pytest.raises(NotImplementedError, match="no derivative here"):
            ad.grad(lambda z: anp.sum(opaque(z)))(x)
        with pytest.raises(NotImplementedError, match="no derivative here"):
            ad.jvp(opaque, (x,), (x,))


def test_diagonal_partials_may_read_only_an_arguments_shape_or_dtype():
    """A partial naming x_shape (or x_dtype) alone reads no value: called with what it names."""
    scale = primitive("test_scale_by_size", lambda x: x * x.size,
                      diagonal=[lambda x_shape: float(np.prod(x_shape))])
    half = primitive("test_half_by_dtype", lambda x: x / 2, diagonal=[lambda x_dtype: 0.5])
    x = np.array([1.0, 2.0, 3.0])
    assert ad.grad(lambda z: anp.sum(scale(z)))(x).tolist() == [3.0, 3.0, 3.0]
    assert ad.jacfwd(half)(x).tolist() == np.diag([0.5] * 3).tolist()
    assert ad.hessian(lambda z: anp.sum(scale(z) ** 2))(x).tolist() == (18 * np.eye(3)).tolist()


def test_a_mask_partial_selects_whatever_its_dtype_objects_identity():
    """A boolean mask selects (0 where False, even for an inf tangent, and +0.0), whether or not
    its dtype is NumPy's canonical bool dtype object: an unpickled array's is an equal copy."""
    import pickle
    mask = pickle.loads(pickle.dumps(np.array([True, False, True])))
    assert mask.dtype is not np.dtype(bool)  # (what makes this case)
    select = primitive("test_select_by_mask", lambda x, mask: np.where(mask, x, 0.0), ("x",),
                       params=("mask",), diagonal=[lambda mask: mask])
    x, t = np.array([1.0, 2.0, 3.0]), np.array([1.0, -np.inf, -1.0])
    _, t_out = ad.jvp(lambda z: select(z, mask=mask), (x,), (t,))
    (g,) = ad.vjp(lambda z: select(z, mask=mask), x)[1](t)
    for d in (t_out, g):
        assert d.tolist() == [1.0, 0.0, -1.0] and not np.signbit(d[1])


def test_a_primitive_returning_several_values_is_refused_clearly():
    """One output per primitive: a tuple from impl is named at once (ad.jit used to fail deep
    inside on it), and a ufunc with several outputs at declaration."""
    two = primitive("test_two_outputs", lambda x: (np.sin(x), np.cos(x)), ("x",),
                    diagonal=[lambda x: np.cos(x)])
    x = np.ones(3)
    for call in (lambda: two(x), lambda: ad.grad(lambda z: anp.sum(two(z)))(x),
                 lambda: ad.jit(lambda z: two(z))(x)):
        with pytest.raises(TypeError, match="test_two_outputs.*one output"):
            call()
    with pytest.raises(TypeError, match="numpy.modf has 2 outputs"):
        primitive("test_modf", np.modf, diagonal=[lambda: 1.0])
    hyp = primitive("test_hypot_ufunc", np.hypot, diagonal=[lambda out, x1: x1 / out,
                                                            lambda out, x2: x2 / out])
    assert hyp.impl is np.hypot  # a one-output ufunc is kept as it is


def test_a_vjp_rule_returning_the_wrong_thing_is_named():
    """A user's VJP rule must return the cotangent of its argument: a number for a 0-d one is
    taken; a wrong shape or a non-array is named at once (it failed deep in the sweep with
    "'float' object has no attribute 'shape'")."""
    summed = primitive("test_vjp_summed", lambda x: x * 1.0, ("x",), jvp=[lambda t: t],
                       vjp=[lambda g: float(np.sum(g))])
    assert ad.grad(lambda z: summed(z))(2.0) == 1.0
    with pytest.raises(ValueError, match="test_vjp_summed.*argument 'x'.*shape \\(\\); the "
                                         "argument has shape \\(3,\\)"):
        ad.grad(lambda z: anp.sum(summed(z)))(np.ones(3))
    text = primitive("test_vjp_text", lambda x: x * 1.0, ("x",), jvp=[lambda t: t],
                     vjp=[lambda g: "a cotangent"])
    with pytest.raises(TypeError, match="test_vjp_text.*returned a str, not an array"):
        ad.grad(lambda z: text(z))(2.0)
    full = primitive("test_vjp_broadcast", lambda x, y: x + y, ("x", "y"), broadcasts=True,
                     jvp=[lambda t: t, lambda t: t], vjp=[lambda g: g, lambda g: g])
    x, y = np.ones((2, 3)), np.ones(3)  # y's rule returns g of the output's shape: summed back
    np.testing.assert_array_equal(ad.grad(lambda a, b: anp.sum(full(a, b)), (0, 1))(x, y)[1],
                                  [2.0, 2.0, 2.0])
