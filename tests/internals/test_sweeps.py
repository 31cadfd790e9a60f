"""The reverse sweep seen from inside: how many sweeps a Jacobian takes, which JVP rules run,
and that the tape is released afterwards."""
import numpy as np

import autodiff as ad
import autodiff.numpy as anp

rng = np.random.default_rng(0)


def test_tangents_that_only_lead_to_the_value_are_not_computed():
    from autodiff.extend import primitive
    jvp_calls = []

    def partial(x):
        jvp_calls.append(x.shape)
        return 1.0 / (1.0 + anp.exp(-x))  # reads x only, not the output
    softplus = primitive("softplus_counted", lambda x: np.logaddexp(0.0, x), broadcasts=True,
                         diagonal=[partial])
    f = lambda x: anp.sum(softplus(x) * 3.0) + anp.sum(x ** 3)
    x, v = rng.standard_normal(600), rng.standard_normal(600)  # large enough to be deferred
    s = 1.0 / (1.0 + np.exp(-x))
    expected = 3.0 * s * (1 - s) * v + 6.0 * x * v
    np.testing.assert_allclose(ad.hvp(f, x, v), expected, rtol=1e-12)
    # The sweep's VJP runs `partial` once on dual numbers; the forward pass's JVP of
    # softplus(x), which only leads on to f's value, never runs.
    assert len(jvp_calls) == 1
    jvp_calls.clear()
    np.testing.assert_allclose(ad.hessian(f)(x), np.diag(expected / v), rtol=1e-12)
    assert len(jvp_calls) == 10  # once per chunk of 64 directions, in the sweep only


def test_tape_released():
    import weakref
    from autodiff.core import reverse
    traces = []
    original = reverse.ReverseTrace.__init__

    def spy(self):
        original(self)
        traces.append(weakref.ref(self))
    reverse.ReverseTrace.__init__ = spy
    try:
        ad.grad(lambda x: anp.sum(anp.sin(x) ** 2))(np.ones(100))
        ad.hessian(lambda x: anp.sum(anp.sin(x) ** 3))(np.ones(5))
    finally:
        reverse.ReverseTrace.__init__ = original
    import gc
    gc.collect()
    assert traces and all(t() is None for t in traces)


def test_jacrev_sweeps_once_per_chunk_of_outputs():
    # PyTorch #50584-style row-by-row loops are what jacrev must not do: 300 outputs take
    # ceil(300 / 64) sweeps, each carrying a batch of cotangents.
    from autodiff.core import reverse
    sweeps = []
    original = reverse.ReverseTrace._sweep

    def spy(self, *a):
        sweeps.append(1)
        return original(self, *a)
    A = rng.standard_normal((300, 40))
    x = rng.standard_normal(40)
    reverse.ReverseTrace._sweep = spy
    try:
        J = ad.jacrev(lambda x: anp.tanh(A @ x) * x[0])(x)
    finally:
        reverse.ReverseTrace._sweep = original
    assert len(sweeps) == 5
    np.testing.assert_allclose(J, ad.jacfwd(lambda x: anp.tanh(A @ x) * x[0])(x), rtol=1e-12)
