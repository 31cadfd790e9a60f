"""check_grads itself: it must catch rules that are wrong only under batched tangents."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.numpy as anp
from autodiff.extend import primitive

x = np.array([0.3, -1.0, 2.0])


def user_sum(name, jvp_rule, batched_jvp="same"):
    """sum(x) with the given JVP rule, declared right for batches as it is (batched_jvp="same")."""
    return primitive(name, lambda x: np.sum(x), jvp=[jvp_rule], batched_jvp=batched_jvp,
                     vjp=[lambda g, x: g * anp.ones_like(x)])


def test_one_tangent_rules_are_right_for_batches_without_a_batched_rule():
    # anp.sum(t, axis=0) is right for one tangent of a 1-D x; without batched_jvp, batches go
    # through it one tangent at a time, so hessian and batched HVPs are right too
    plain = user_sum("checks_sum_axis0_plain", lambda t: anp.sum(t, axis=0), batched_jvp=None)
    f = lambda x: plain(anp.cumsum(x) ** 2) ** 2
    ad.check_grads(f, (x,), order=2)
    np.testing.assert_allclose(ad.hessian(f)(x),
                               ad.hessian(lambda x: anp.sum(anp.cumsum(x) ** 2) ** 2)(x))


def test_jvp_rule_wrong_only_for_a_batch_of_tangents_is_caught():
    # declared batch-safe (batched_jvp="same") but wrong when t has a leading batch axis
    bad = user_sum("checks_sum_axis0", lambda t: anp.sum(t, axis=0))
    np.testing.assert_allclose(ad.jvp(bad, (x,), (np.ones(3),))[1], 3.0)  # unbatched: right
    f = lambda x: bad(anp.cumsum(x) ** 2) ** 2
    assert not np.allclose(ad.hessian(f)(x), ad.hessian(lambda x: anp.sum(anp.cumsum(x) ** 2) ** 2)(x))
    for g in (bad, f):
        with pytest.raises(AssertionError, match=r"(?s)'checks_sum_axis0'.*JVP rule mishandles "
                                                 r"a batch of tangents.*batched_jvp"):
            ad.check_grads(g, (x,), order=2)


def test_batched_jvp_bug_reached_only_at_second_order_is_caught():
    bad = user_sum("checks_sum_axis0_inner", lambda t: anp.sum(t, axis=0))
    # half_square(x) = sum(x)^2 / 2: its own rules are right, but its VJP uses `bad`, so only
    # forward-over-reverse (HVPs, hessian) pushes a batch of tangents through bad's JVP
    half_square = primitive("checks_half_square", lambda x: np.sum(x) ** 2 / 2,
                            jvp=[lambda t, x: anp.sum(t, axis=-1) * anp.sum(x)],
                            batched_jvp="same", vjp=[lambda g, x: g * bad(x) * anp.ones_like(x)])
    ad.check_grads(half_square, (x,), order=1)
    with pytest.raises(AssertionError, match=r"(?s)'checks_sum_axis0_inner'.*mishandles a batch"):
        ad.check_grads(lambda x: half_square(anp.cumsum(x)), (x,), order=2)


def test_batch_safe_rule_passes_and_agrees_with_autograd():
    import autograd
    import autograd.numpy as agnp
    good = user_sum("checks_sum_last_axis", lambda t: anp.sum(t, axis=-1))
    f = lambda x: good(anp.cumsum(x) ** 2) ** 2
    ad.check_grads(f, (x,), order=3)
    H = autograd.hessian(lambda x: agnp.sum(agnp.cumsum(x) ** 2) ** 2)(x)
    np.testing.assert_allclose(ad.hessian(f)(x), H, rtol=1e-12)
    V = np.random.default_rng(0).standard_normal((2, 3))
    np.testing.assert_allclose(ad.hvp(f, x, V, batched=True), V @ H, rtol=1e-12)


def test_batched_hvps_and_hessian_are_checked_against_single_hvps():
    from autodiff.checks import check_hessian
    bad = user_sum("checks_sum_axis0_hessian", lambda t: anp.sum(t, axis=0))
    f = lambda x: bad(anp.cumsum(x) ** 2) ** 2
    with pytest.raises(AssertionError, match=r"(?s)hvp\(batched=True\).*mishandles a batch"):
        check_hessian(f, (x,))
    check_hessian(lambda x: anp.sum(anp.cumsum(x) ** 2) ** 2, (x,))


def test_check_grads_of_a_pytree_output_checks_every_leaf():
    from autodiff.extend import custom_jvp

    @custom_jvp
    def parts(x):
        return {"sin": np.sin(x), "sq": x ** 2}

    x = np.array([0.3, -0.5])
    parts.defjvp(lambda p, t: (parts(p[0]), {"sin": np.cos(p[0]) * t[0], "sq": 2 * p[0] * t[0]}))
    ad.check_grads(parts, (x,), order=2)
    parts.defjvp(lambda p, t: (parts(p[0]), {"sin": np.cos(p[0]) * t[0], "sq": p[0] * t[0]}))
    with pytest.raises(AssertionError, match="finite differences"):
        ad.check_grads(parts, (x,), order=1)
