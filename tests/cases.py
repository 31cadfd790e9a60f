"""Sample inputs for the composed functions of autodiff.numpy (compositions of primitives): the
registry-wide checks run on these as on every primitive's own samples, which its declaration
gives (`declare(..., samples=...)`, autodiff/primitives/samples.py)."""
import numpy as np

import autodiff.numpy as anp

rng = np.random.default_rng(42)


def r(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape)


def pos(*shape):
    return r(*shape, lo=0.5, hi=2.0)


def _spd(n):
    b = r(n, n)
    return b @ b.T + n * np.eye(n)


COMPOSED_CASES = {
    "mean": (lambda x: anp.mean(x, axis=0), (r(3, 2),)),
    "var": (lambda x: anp.var(x, axis=1, ddof=1), (r(2, 4),)),
    "std": (anp.std, (r(5),)),
    "prod": (lambda x: anp.prod(x, axis=1), (np.array([[0.0, 2.0, 3.0], [1.5, -1.0, 0.5]]),)),
    "prod_all": (anp.prod, (r(5),)),
    "swapaxes": (lambda x: anp.swapaxes(x, 0, 2), (r(2, 3, 4),)),
    "moveaxis": (lambda x: anp.moveaxis(x, 0, -1), (r(2, 3, 4),)),
    "expand_squeeze": (lambda x: anp.squeeze(anp.expand_dims(x, 1)), (r(3),)),
    "stack": (lambda x, y: anp.stack([x, y], axis=1), (r(3), r(3))),
    "hstack_vstack": (lambda x, y: anp.vstack([anp.hstack([x, y]), anp.hstack([y, x])]), (r(2), r(3))),
    "flip": (lambda x: anp.flip(x, 1), (r(2, 3),)),
    "roll": (lambda x: anp.roll(x, 2, axis=0), (r(4, 2),)),
    "repeat": (lambda x: anp.repeat(x, 2, axis=1), (r(2, 3),)),
    "tile": (lambda x: anp.tile(x, (2, 1, 3)), (r(2, 2),)),
    "sort": (anp.sort, (np.array([[0.3, -1.0, 2.0], [1.0, 0.1, -0.5]]),)),
    "take": (lambda x: anp.take(x, [2, 0, 2], axis=1), (r(2, 3),)),
    "dot": (anp.dot, (r(2, 3), r(3))),
    "dot_nd": (anp.dot, (r(2, 3), r(4, 3, 2))),
    "vdot": (anp.vdot, (r(2, 3), r(2, 3))),
    "inner": (anp.inner, (r(2, 3), r(4, 3))),
    "outer": (anp.outer, (r(3), r(2))),
    "tensordot": (lambda a, b: anp.tensordot(a, b, axes=([0, 2], [1, 0])), (r(2, 3, 4), r(4, 2))),
    "trace": (anp.trace, (r(3, 3),)),
    "diagonal": (lambda x: anp.diagonal(x, 1), (r(3, 4),)),
    "det": (anp.linalg.det, (r(3, 3) + 2 * np.eye(3),)),
    "norm": (anp.linalg.norm, (r(4),)),
    "norm_2_matrix": (lambda a: anp.linalg.norm(a, 2), (r(3, 2),)),
    "norm_nuc_and_-2": (lambda a: anp.linalg.norm(a, "nuc") * anp.linalg.norm(a, -2), (r(2, 3),)),
    "pinv": (lambda a: anp.linalg.pinv(a) + anp.linalg.pinv(a[:2, :2]).sum(), (r(3, 2),)),
    "lstsq": (lambda a, b: anp.linalg.lstsq(a, b)[0] + anp.linalg.lstsq(a, b)[1].sum(),
              (r(4, 2), r(4))),
    "matrix_power": (lambda a: anp.linalg.matrix_power(a, 3) + anp.linalg.matrix_power(a, -1),
                     (r(3, 3) + 3 * np.eye(3),)),
    "multi_dot": (lambda a, b: anp.linalg.multi_dot([b, a, a.T, b]), (r(3, 2), r(3))),
    "norm_1": (lambda x: anp.linalg.norm(x, 1), (np.array([0.5, -1.0, 2.0]),)),
    "mod": (lambda x: anp.mod(x, 0.7), (np.array([0.2, 1.1, 2.5]),)),
    "array": (lambda x: anp.array([[x[0], x[1]], [x[1] * x[0], 2.0]]), (r(2),)),
    "sign": (lambda x: x * anp.sign(x) + 3.0 * anp.sign(x), (np.array([-1.5, 0.5, 2.0]),)),
    "diff": (lambda x: anp.diff(x, 2, axis=1), (r(2, 5),)),
    "tril_triu": (lambda x: anp.tril(x, -1) * 2.0 + anp.triu(x, 1) ** 2, (r(3, 4),)),
    "pad": (lambda x: anp.pad(x, ((1, 0), (2, 1)), constant_values=1.5), (r(2, 2),)),
    "ptp": (lambda x: anp.ptp(x, axis=0), (np.array([[1.0, 5.0], [3.0, 2.0], [0.5, 4.0]]),)),
    "average": (lambda x, w: anp.average(x, axis=1, weights=w), (r(2, 3), pos(3))),
    "median": (lambda x: anp.median(x, axis=1), (np.array([[0.3, -1.0, 2.0, 0.9], [1.0, 0.1, -0.5, 0.4]]),)),
    "split": (lambda x: anp.split(x, [1, 3])[1] * anp.split(x, 4)[0].sum(), (r(4),)),
    "trapezoid": (lambda y, x: anp.trapezoid(y, x) + anp.trapezoid(y, dx=0.5, axis=0).sum(),
                  (r(3, 4), np.cumsum(pos(4)))),
    "cumprod": (lambda x: anp.cumprod(x, axis=1), (np.array([[0.5, 0.0, 2.0, -1.5, 1.2],
                                                          [1.1, -0.7, 0.3, 2.0, 0.9]]),)),
    "kron": (lambda a, b: anp.kron(a, b) + anp.kron(a[0], b[:, 0]).sum(), (r(2, 3), r(2, 2))),
    "cross": (anp.cross, (r(2, 3), r(3))),
    "deg2rad": (lambda x: anp.sin(anp.deg2rad(x)) + 0.01 * anp.rad2deg(x), (r(3) * 30,)),
    "convolve": (lambda a, v: anp.concatenate([anp.convolve(a, v), anp.convolve(a, v, "same"),
                                               anp.convolve(v, a, "valid")]), (r(5), r(3))),
    "interp": (lambda x, fp: anp.interp(x, np.array([0.0, 0.5, 1.0, 2.0]), fp),
               (np.array([-0.3, 0.2, 0.7, 1.4, 2.5]), r(4))),
    "cholesky_loglik": (lambda a: anp.sum(anp.log(anp.diagonal(anp.linalg.cholesky(a)))),
                        (_spd(3),)),
}
