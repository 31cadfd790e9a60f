"""Sample inputs for every registered primitive (and for the composed functions of
autodiff.numpy): the registry-wide checks run on these, and a primitive without a case fails
test_every_primitive_has_a_case."""
import numpy as np

import autodiff.numpy as anp
from autodiff.primitives import shape as S

rng = np.random.default_rng(42)


def r(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape)


def pos(*shape):
    return r(*shape, lo=0.5, hi=2.0)


def _spd(n):
    b = r(n, n)
    return b @ b.T + n * np.eye(n)


def _distinct_spectrum(n):
    q, _ = np.linalg.qr(r(n, n))
    return q @ np.diag(np.arange(1.0, n + 1) ** 2) @ q.T


def _svd_invariants(u, s, vh):
    """Outputs of an SVD that do not depend on the singular vectors' signs."""
    return anp.concatenate([s * 2.0, anp.ravel(u @ vh), anp.sum(anp.abs(u), 0),
                            anp.sum(anp.abs(vh), 1)])


def unary(fn, x):
    return [(fn, (x,))]


PRIMITIVE_CASES = {
    "add": [(anp.add, (r(2, 3), r(3)))],
    "subtract": [(anp.subtract, (r(2, 1), r(3)))],
    "multiply": [(anp.multiply, (r(2, 3), r(2, 3))), (anp.multiply, (r(3), r(4, 1)))],
    "divide": [(anp.divide, (r(2, 3), pos(3)))],
    "negative": unary(anp.negative, r(3)),
    "reciprocal": unary(anp.reciprocal, pos(3)),
    "square": unary(anp.square, r(3)),
    "power": [(anp.power, (pos(2, 3), r(3))), (lambda x: x ** 3, (r(4),))],
    "exp": unary(anp.exp, r(3)),
    "expm1": unary(anp.expm1, r(3)),
    "exp2": unary(anp.exp2, r(3)),
    "log": unary(anp.log, pos(3)),
    "log1p": unary(anp.log1p, pos(3)),
    "log2": unary(anp.log2, pos(3)),
    "log10": unary(anp.log10, pos(3)),
    "sqrt": unary(anp.sqrt, pos(3)),
    "cbrt": unary(anp.cbrt, pos(3)),
    "logaddexp": [(anp.logaddexp, (r(2, 3), r(3)))],
    "sin": unary(anp.sin, r(2, 3)),
    "cos": unary(anp.cos, r(3)),
    "tan": unary(anp.tan, r(3)),
    "arcsin": unary(anp.arcsin, r(3, lo=-0.8, hi=0.8)),
    "arccos": unary(anp.arccos, r(3, lo=-0.8, hi=0.8)),
    "arctan": unary(anp.arctan, r(3)),
    "sinh": unary(anp.sinh, r(3)),
    "cosh": unary(anp.cosh, r(3)),
    "tanh": unary(anp.tanh, r(3)),
    "arcsinh": unary(anp.arcsinh, r(3)),
    "arccosh": unary(anp.arccosh, r(3, lo=1.5, hi=3.0)),
    "arctanh": unary(anp.arctanh, r(3, lo=-0.8, hi=0.8)),
    "arctan2": [(anp.arctan2, (r(2, 3), pos(3)))],
    "hypot": [(anp.hypot, (pos(2, 3), r(3)))],
    "abs": unary(anp.abs, np.array([-1.5, -0.5, 0.7, 2.0])),
    "maximum": [(anp.maximum, (np.array([1.0, -2.0, 3.0]), np.array([0.5, -1.0, 4.0])))],
    "minimum": [(anp.minimum, (np.array([1.0, -2.0, 3.0]), np.array([0.5, -1.0, 4.0])))],
    "where": [(lambda x, y: anp.where(np.array([True, False, True]), x, y), (r(2, 3), r(3)))],
    "clip": [(lambda x: anp.clip(x, -0.5, 0.5), (np.array([-0.9, -0.2, 0.3, 0.8]),)),
             (lambda x, lo: anp.clip(x, lo, 2.0), (np.array([-0.9, 0.3]), np.array([-0.5, 0.0])))],
    "sum": [(anp.sum, (r(2, 3),)), (lambda x: anp.sum(x, axis=1), (r(2, 3),)),
            (lambda x: anp.sum(x, axis=(0, 2), keepdims=True), (r(2, 3, 2),))],
    "amax": [(lambda x: anp.max(x, axis=0), (np.array([[1.0, 5.0], [3.0, 2.0]]),)),
             (anp.max, (np.array([0.1, 0.7, -0.3]),))],
    "amin": [(lambda x: anp.min(x, axis=1, keepdims=True), (np.array([[1.0, 5.0], [3.0, 2.0]]),))],
    "cumsum": [(lambda x: anp.cumsum(x, axis=1), (r(2, 3),)), (anp.cumsum, (r(4),))],
    "reshape": [(lambda x: anp.reshape(x, (3, 2)), (r(2, 3),)), (lambda x: x.reshape(-1), (r(2, 2),))],
    "transpose": [(anp.transpose, (r(2, 3),)), (lambda x: anp.transpose(x, (1, 2, 0)), (r(2, 3, 4),))],
    "broadcast_to": [(lambda x: anp.broadcast_to(x, (4, 2, 3)), (r(2, 1),))],
    "getitem": [
        (lambda x: x[1:, ::-1], (r(3, 4),)),
        (lambda x: x[np.array([0, 2, 0])], (r(3, 2),)),
        (lambda x: x[x > 0], (np.array([0.5, -1.0, 2.0, -0.3]),)),
        (lambda x: x[..., None, 1], (r(2, 3),)),
        (lambda x: x[np.array([0, 1]), :, np.array([1, 0])], (r(2, 3, 2),)),
        (lambda x: x[-1], (r(3, 2),)),
    ],
    "index_add": [(lambda v: anp.diag(v), (r(3),)), (lambda v: anp.diag(v, -1), (r(2),))],
    "concatenate": [(lambda x, y: anp.concatenate([x, y], axis=1), (r(2, 3), r(2, 1))),
                    (lambda x: anp.concatenate([x, 2.0 * x, np.ones(2)]), (r(2),))],
    "cast": [(lambda x: S.cast_p(x, dtype=np.dtype(np.float64)), (r(3),))],
    "matmul": [(anp.matmul, (r(2, 3), r(3, 4))), (anp.matmul, (r(3), r(3, 2))),
               (anp.matmul, (r(2, 2, 3), r(3))), (anp.matmul, (r(2, 3), r(4, 3, 2)))],
    "einsum": [(lambda a, b: anp.einsum("ij,jk->ik", a, b), (r(2, 3), r(3, 2))),
               (lambda a: anp.einsum("ii->", a), (r(3, 3),)),
               (lambda a: anp.einsum("ij->i", a), (r(2, 3),)),
               (lambda a, b: anp.einsum("bij,bj->bi", a, b), (r(2, 3, 2), r(2, 2))),
               (lambda a, b: anp.einsum("...j,j", a, b), (r(2, 3), r(3)))],
    "inv": [(anp.linalg.inv, (r(3, 3) + 3 * np.eye(3),))],
    "solve": [(anp.linalg.solve, (r(3, 3) + 3 * np.eye(3), r(3))),
              (anp.linalg.solve, (r(3, 3) + 3 * np.eye(3), r(3, 2)))],
    "logabsdet": [(lambda a: anp.linalg.slogdet(a)[1], (r(3, 3) + 3 * np.eye(3),))],
    "eigh": [(lambda a: anp.linalg.eigh(a)[0] * 2.0 + anp.sum(anp.abs(anp.linalg.eigh(a)[1]), 0),
              (_distinct_spectrum(3),))],
    "svd": [(lambda a: _svd_invariants(*anp.linalg.svd(a, full_matrices=False)), (r(4, 3),)),
            (lambda a: _svd_invariants(*anp.linalg.svd(a, full_matrices=False)), (r(2, 3),)),
            (lambda a: anp.linalg.svd(a, compute_uv=False), (r(2, 3, 3),))],
    "cholesky": [(anp.linalg.cholesky, (_spd(3),)),
                 (lambda a: anp.linalg.cholesky(a + np.swapaxes(a, -1, -2)), (_spd(3) * 0.5,))],
}

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
