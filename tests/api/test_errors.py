"""Bad input gets a clear exception that names the problem."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp


def test_grad_of_non_scalar_output():
    with pytest.raises(TypeError, match=r"scalar output.*shape \(3,\).*jacobian.*vjp"):
        ad.grad(lambda x: x * 2)(np.ones(3))


def test_hvp_with_wrong_shape():
    with pytest.raises(ValueError, match=r"v has shape \(2,\) but x has shape \(3,\)"):
        ad.hvp(lambda x: anp.sum(x ** 2), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="structure"):
        ad.hvp(lambda p: anp.sum(p["a"] ** 2), {"a": np.ones(2)}, {"b": np.ones(2)})


def test_jvp_tangent_shape():
    with pytest.raises(ValueError, match="tangent of shape"):
        ad.jvp(anp.sin, (np.ones(3),), (np.ones(4),))


def test_vjp_cotangent_shape():
    _, vjp_fn = ad.vjp(anp.sin, np.ones(3))
    with pytest.raises(ValueError, match="cotangent of shape"):
        vjp_fn(np.ones(2))


def test_complex_and_object_inputs():
    with pytest.raises(TypeError, match="complex"):
        ad.grad(lambda x: x * x)(1j)
    with pytest.raises(TypeError, match="dtype"):
        ad.grad(lambda x: x)(np.array(["a"]))


def test_unsupported_numpy_function_is_named():
    with pytest.raises(NotImplementedError, match=r"numpy\.fft\.hfft"):
        ad.grad(lambda x: np.sum(np.fft.hfft(x)))(np.ones(4))
    with pytest.raises(NotImplementedError, match=r"numpy\.sinc|numpy\.i0|numpy\.spacing"):
        ad.grad(lambda x: np.sum(np.spacing(x)))(np.ones(4))


def test_traced_value_as_python_bool():
    def f(x):
        if x:
            return x
        return -x
    with pytest.raises(TypeError, match=r"Python bool.*x > 0.*where"):
        ad.grad(f)(1.0)
    # comparisons give plain booleans, so this is fine:
    assert ad.grad(lambda x: x if x > 0 else -x)(-2.0) == -1.0


def test_conversions_that_drop_derivatives():
    with pytest.raises(TypeError, match="float.*drop its derivative"):
        ad.grad(lambda x: float(x))(1.0)
    with pytest.raises(TypeError, match="plain NumPy array"):
        ad.grad(lambda x: np.asarray(x).sum())(np.ones(2))
    with pytest.raises(TypeError, match="immutable"):
        def f(x):
            x[0] = 1.0
            return x.sum()
        ad.grad(f)(np.ones(2))


def test_argnums_out_of_range():
    with pytest.raises(TypeError, match="argnums=2"):
        ad.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


def test_has_aux_requires_pair():
    with pytest.raises(TypeError, match="pair"):
        ad.grad(lambda x: x * x, has_aux=True)(1.0)


def test_shape_errors_are_numpy_like():
    with pytest.raises(ValueError, match="not aligned"):
        ad.grad(lambda x: anp.sum(x @ np.ones((2, 2))))(np.ones(3))
    with pytest.raises(ValueError, match="cannot reshape"):
        ad.grad(lambda x: anp.sum(x.reshape(4)))(np.ones(3))


def test_index_with_traced_value():
    with pytest.raises(TypeError, match="index must not be a traced value"):
        ad.grad(lambda x: x[x])(np.ones(2))


def test_grad_of_a_pytree_output_says_so():
    with pytest.raises(TypeError, match="returned a list"):
        ad.grad(lambda x: [x[0], x[1]])(np.ones(2))
    with pytest.raises(TypeError, match="returned a tuple. If it returns \\(output, aux\\), pass has_aux=True"):
        ad.grad(lambda x: (anp.sum(x), x))(np.ones(2))


def test_user_primitives_can_be_redefined_but_not_builtins():
    from autodiff.extend import primitive
    for scale in (2.0, 3.0):  # a notebook cell run twice
        p = primitive("scaled_test_prim", lambda x, s=scale: s * x, diagonal=[lambda s=scale: s])
        assert ad.grad(lambda x: p(x))(1.0) == scale
    with pytest.raises(ValueError, match="one of autodiff's own"):
        primitive("sin", np.sin, diagonal=[lambda x: anp.cos(x)])


def test_a_rule_that_names_an_unknown_value_is_refused():
    from autodiff.extend import primitive
    with pytest.raises(TypeError, match=r"reads 'z', which is none of out, out_shape, x, "):
        primitive("unknown_read_prim", np.sin, vjp=[lambda g, z: g * z])


@pytest.mark.skipif(not hasattr(Exception, "add_note"), reason="exception notes: Python 3.11+")
def test_a_list_differentiated_as_a_pytree_is_explained_when_f_fails():
    f = lambda x: np.sum(np.tanh(x @ np.eye(2)))
    with pytest.raises(TypeError) as raised:
        ad.grad(f)([1.0, 2.0])
    assert any("pytree of 2 scalars" in note and "np.array([...])" in note
               for note in getattr(raised.value, "__notes__", []))
    assert ad.grad(lambda x: x[0] * x[1])([1.0, 2.0]) == [2.0, 1.0]  # a list as a pytree


def test_values_that_are_not_arrays_of_numbers_are_named_in_the_sweep():
    """An object array's sum is a Python float, and so is a primitive of one's own returning
    float(x): the reverse sweep's rules read .shape of each, and failed deep inside with
    "'float' object has no attribute 'shape'"; now the error names the primitive and why."""
    A = np.arange(12.0).reshape(3, 4).astype(object)
    f, w = (lambda w: np.sum(A @ w)), np.ones(4)
    for call in (lambda: ad.grad(f)(w), lambda: ad.hvp(f, w, w), lambda: ad.hessian(f)(w),
                 lambda: ad.jvp(f, (w,), (w,))):  # the reverse sweep and forward mode
        with pytest.raises(TypeError, match="primitive 'sum' gave a float, not an array of "
                                            "numbers.*dtype object.*astype"):
            call()
    from autodiff import extend
    to_float = extend.primitive("test_to_float", lambda x: float(x), diagonal=[lambda: 1.0])
    with pytest.raises(TypeError, match="primitive 'test_to_float' gave a float"):
        ad.grad(lambda x: to_float(x) * 2.0)(np.float64(3.0))
