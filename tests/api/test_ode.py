"""autodiff.scipy.integrate: ODE solutions differentiated in the initial state, the parameters
and the times, to second order, against closed forms and finite differences of scipy's own
solutions (tight tolerances: the derivatives are exact up to the solver's tolerance)."""
import numpy as np
import pytest
import scipy.integrate
import scipy.linalg

import autodiff as ad
import autodiff.numpy as anp
from autodiff.scipy.integrate import odeint, solve_ivp

TOL = dict(rtol=1e-11, atol=1e-11)


# --- exponential decay: y = y0 exp(-k (t - t0)) -------------------------------------------------
def decay(z):
    """z = (y0, k, t0, t1, t2): the solution at t0, t1, t2."""
    y0, k, t = z[0], z[1], z[2:]
    return odeint(lambda y, s, k: -k * y, y0, t, args=(k,), **TOL)[:, 0]


def decay_exact(z):
    y0, k, t = z[0], z[1], z[2:]
    return y0 * anp.exp(-k * (t - t[0]))


Z = np.array([1.3, 0.8, 0.2, 0.9, 1.7])


def test_decay_values_and_jacobians_match_the_closed_form():
    np.testing.assert_allclose(decay(Z), decay_exact(Z), rtol=1e-9)
    exact = ad.jacfwd(decay_exact)(Z)
    np.testing.assert_allclose(ad.jacfwd(decay)(Z), exact, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ad.jacrev(decay)(Z), exact, rtol=1e-8, atol=1e-10)


def test_decay_hessian_in_y0_rate_and_times_matches_the_closed_form():
    w = np.array([0.5, -1.0, 2.0])
    loss = lambda z: anp.sum(w * decay(z) ** 2)  # noqa: E731
    exact = ad.hessian(lambda z: anp.sum(w * decay_exact(z) ** 2))(Z)
    H = ad.hessian(loss)(Z)
    np.testing.assert_allclose(H, exact, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ad.grad(loss)(Z), ad.grad(
        lambda z: anp.sum(w * decay_exact(z) ** 2))(Z), rtol=1e-8, atol=1e-10)


def test_decay_backward_in_time():
    z = np.array([1.3, 0.8, 1.7, 0.9, 0.2])  # decreasing times
    np.testing.assert_allclose(ad.jacrev(decay)(z), ad.jacfwd(decay_exact)(z), rtol=1e-8,
                               atol=1e-10)


# --- a linear system y' = A y: y(t) = expm(A t) y0 ----------------------------------------------
Y0 = np.array([1.0, -0.5])
A = np.array([[-0.3, 1.1], [-0.9, -0.2]])
T = np.array([0.0, 0.5, 1.5])


def linear(a):
    return odeint(lambda y, s, a: anp.reshape(a, (2, 2)) @ y, Y0, T, args=(a,), **TOL)


def test_linear_system_sensitivity_to_the_matrix_is_the_frechet_derivative():
    J = ad.jacrev(linear)(A.ravel())  # (3, 2, 4)
    for i, t in enumerate(T):
        for j in range(4):
            E = np.zeros(4)
            E[j] = 1.0
            _, dexp = scipy.linalg.expm_frechet(A * t, E.reshape(2, 2) * t)
            np.testing.assert_allclose(J[i, :, j], dexp @ Y0, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ad.jacfwd(linear)(A.ravel()), J, rtol=1e-8, atol=1e-10)


def test_linear_system_hessian_against_differences_of_the_exact_gradient():
    def exact_grad(a):  # d/da of sum(y(T[-1])**2) from expm's Frechet derivative
        M = A * 0 + a.reshape(2, 2)
        y = scipy.linalg.expm(M * T[-1]) @ Y0
        g = np.zeros(4)
        for j in range(4):
            E = np.zeros(4)
            E[j] = T[-1]
            g[j] = 2 * y @ (scipy.linalg.expm_frechet(M * T[-1], E.reshape(2, 2))[1] @ Y0)
        return g
    loss = lambda a: anp.sum(linear(a)[-1] ** 2)  # noqa: E731
    np.testing.assert_allclose(ad.grad(loss)(A.ravel()), exact_grad(A.ravel()), rtol=1e-8)
    eps = 1e-5
    fd = np.stack([(exact_grad(A.ravel() + eps * e) - exact_grad(A.ravel() - eps * e)) / (2 * eps)
                   for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(ad.hessian(loss)(A.ravel()), fd, rtol=1e-6, atol=1e-7)


# --- Lotka-Volterra against finite differences of scipy's solution ------------------------------
def lv(y, t, a, b, c, d):
    return [a * y[0] - b * y[0] * y[1], d * y[0] * y[1] - c * y[1]]


LV_T = np.linspace(0.0, 3.0, 4)
P = np.array([10.0, 5.0, 1.1, 0.4, 0.9, 0.1])  # prey0, predator0, a, b, c, d


def lv_solution(p):
    return odeint(lv, p[:2], LV_T, args=(p[2], p[3], p[4], p[5]), **TOL)


def lv_scipy(p):
    return scipy.integrate.odeint(lv, p[:2], LV_T, args=tuple(p[2:]), rtol=1e-12, atol=1e-12)


def test_lotka_volterra_jacobian_against_differences_of_scipy():
    eps = 1e-6
    fd = np.stack([(lv_scipy(P + eps * e) - lv_scipy(P - eps * e)) / (2 * eps)
                   for e in np.eye(6)], axis=-1)
    J = ad.jacrev(lv_solution)(P)
    np.testing.assert_allclose(J, fd, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ad.jacfwd(lv_solution)(P), J, rtol=1e-7, atol=1e-8)


def lv_loss(p):
    return anp.sum(anp.log(lv_solution(p)[1:]) ** 2)


def test_lotka_volterra_hessian_against_second_differences_of_scipy():
    loss = lambda p: np.sum(np.log(lv_scipy(p)[1:]) ** 2)  # noqa: E731
    H = ad.hessian(lv_loss)(P)
    h = 1e-3 * np.maximum(np.abs(P), 0.1)
    fd = np.empty((6, 6))
    for i in range(6):
        for j in range(6):
            ei, ej = np.eye(6)[i] * h[i], np.eye(6)[j] * h[j]
            fd[i, j] = (loss(P + ei + ej) - loss(P + ei - ej) - loss(P - ei + ej)
                        + loss(P - ei - ej)) / (4 * h[i] * h[j])
    np.testing.assert_allclose(H, H.T, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, fd, rtol=1e-4, atol=1e-4 * np.abs(H).max())
    v = np.linspace(-1.0, 1.0, 6)
    np.testing.assert_allclose(ad.hvp(lv_loss, P, v), H @ v, rtol=1e-7,
                               atol=1e-8 * np.abs(H).max())


def test_jvp_and_vjp_agree():
    rng = np.random.default_rng(0)
    v, u = rng.standard_normal(6), rng.standard_normal((4, 2))
    _, Jv = ad.jvp(lv_solution, (P,), (v,))
    _, back = ad.vjp(lv_solution, P)
    np.testing.assert_allclose(np.sum(u * Jv), back(u)[0] @ v, rtol=1e-8)


# --- solve_ivp ----------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["RK45", "DOP853", "LSODA"])
def test_solve_ivp_in_t_span_t_eval_y0_and_args(method):
    def y_end(z):  # z = (t0, t_eval1, t_eval2, y0, k)
        res = solve_ivp(lambda t, y, k: -k * y, (z[0], 3.0), z[3:4], method=method,
                        t_eval=z[1:3], args=(z[4],), rtol=1e-10, atol=1e-12)
        return res.y[0]
    z = np.array([0.1, 0.5, 2.5, 1.3, 0.6])
    exact = lambda z: z[3] * anp.exp(-z[4] * (z[1:3] - z[0]))  # noqa: E731
    np.testing.assert_allclose(y_end(z), exact(z), rtol=1e-7)
    np.testing.assert_allclose(ad.jacrev(y_end)(z), ad.jacfwd(exact)(z), rtol=1e-6, atol=1e-8)
    if method == "DOP853":
        loss = lambda z: anp.sum(y_end(z) ** 2)  # noqa: E731
        np.testing.assert_allclose(ad.hessian(loss)(z),
                                   ad.hessian(lambda z: anp.sum(exact(z) ** 2))(z),
                                   rtol=1e-6, atol=1e-8)


def test_solve_ivp_result_and_steps_without_t_eval():
    res = solve_ivp(lambda t, y: -y, (0.0, 2.0), [1.0], rtol=1e-8, atol=1e-10)
    ref = scipy.integrate.solve_ivp(lambda t, y: -y, (0.0, 2.0), [1.0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.t, ref.t)
    np.testing.assert_allclose(res.y, ref.y, rtol=1e-9)
    assert res.success and res.y.shape == (1, len(ref.t))
    # d y(t1) / d t1 = -y(t1): the end of t_span is differentiable
    end = lambda t1: solve_ivp(lambda t, y: -y, (0.0, t1), [1.0], rtol=1e-10,  # noqa: E731
                               atol=1e-12).y[0, -1]
    np.testing.assert_allclose(ad.grad(end)(2.0), -np.exp(-2.0), rtol=1e-7)


def test_odeint_forms_scalar_state_tfirst_and_plain_values():
    t = np.array([0.0, 1.0])
    np.testing.assert_allclose(odeint(lambda y, t: -y, 2.0, t), [[2.0], [2 * np.exp(-1)]],
                               rtol=1e-7)
    g = ad.grad(lambda k: odeint(lambda t, y, k: -k * y, 2.0, t, args=(k,), tfirst=True,
                                 **TOL)[1, 0])(0.5)
    np.testing.assert_allclose(g, -2.0 * np.exp(-0.5), rtol=1e-8)


@pytest.mark.filterwarnings("ignore::scipy.integrate.ODEintWarning")
def test_refusals_name_the_problem():
    t = np.array([0.0, 1.0])
    with pytest.raises(ValueError, match="args="):  # a closure over a traced value
        ad.grad(lambda k: odeint(lambda y, s: -k * y, 1.0, t)[1, 0])(0.5)
    with pytest.raises(ValueError, match="monotonic"):
        odeint(lambda y, s: -y, 1.0, np.array([0.0, 1.0, 0.5]))
    with pytest.raises(ValueError, match="shape"):
        odeint(lambda y, s: np.ones(3), np.ones(2), t)
    with pytest.raises(ValueError, match="dense_output"):
        solve_ivp(lambda s, y: -y, (0.0, 1.0), [1.0], dense_output=True)
    with pytest.raises(ValueError, match="method"):
        solve_ivp(lambda s, y: -y, (0.0, 1.0), [1.0], method="Euler")
    with pytest.raises(RuntimeError, match="odeint failed"):
        odeint(lambda y, s: y ** 2, 1.0, np.array([0.0, 2.0]))


def test_args_as_a_pytree_and_y0_as_a_list_of_traced_entries():
    t = np.array([0.0, 0.7])

    def end(p):  # y0 = [p0, 1], args = ({"rates": [p1, p2]},)
        f = lambda y, s, d: [-d["rates"][0] * y[0], -d["rates"][1] * y[1]]  # noqa: E731
        return anp.sum(odeint(f, [p[0], 1.0], t, args=({"rates": [p[1], p[2]]},), **TOL)[1])
    p = np.array([2.0, 0.3, 0.5])
    exact = lambda p: p[0] * anp.exp(-0.7 * p[1]) + anp.exp(-0.7 * p[2])  # noqa: E731
    np.testing.assert_allclose(ad.grad(end)(p), ad.grad(exact)(p), rtol=1e-8)
    np.testing.assert_allclose(ad.hessian(end)(p), ad.hessian(exact)(p), rtol=1e-7, atol=1e-9)


def test_repeated_times_and_the_hessian_in_the_times():
    t = np.array([0.2, 1.0, 1.0, 2.0])  # y = exp(-(t - t0)); a repeated time is the same state
    y = lambda tt: odeint(lambda y, s: -y, 1.0, tt, **TOL)[:, 0]  # noqa: E731
    exact = lambda tt: anp.exp(-(tt - tt[0]))  # noqa: E731
    np.testing.assert_allclose(ad.jacrev(y)(t), ad.jacfwd(exact)(t), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ad.hessian(lambda tt: anp.sum(y(tt) ** 3))(t),
                               ad.hessian(lambda tt: anp.sum(exact(tt) ** 3))(t), rtol=1e-7,
                               atol=1e-10)


def test_a_batch_of_tangents_in_one_solve_agrees_with_one_tangent_at_a_time():
    # the batched rule solves [y; z_1 ... z_k] together: equal to the tolerance, not to rounding
    J = ad.jacfwd(lv_solution)(P)
    with ad.shortcuts.disabled("batched_rules"):
        J1 = ad.jacfwd(lv_solution)(P)
    np.testing.assert_allclose(J, J1, rtol=1e-7, atol=1e-8)
