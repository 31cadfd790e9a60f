"""The oracle: autograd, an independent implementation, as a NumPy-like module for `np`.

autograd has no rule for a few functions the programs use (flip, sort along an axis, take,
cumprod, cbrt, eigvalsh, matrix_power, ptp, median, average, trapezoid, convolve, some
norms...), differs from NumPy (kron: wrong at rank 3) in others (its `where` and `broadcast_to` do not sum cotangents
over broadcast axes, `outer` does not flatten, `solve` and `cross` do not broadcast, `einsum`
rejects 'ii'), and is wrong in a few (`repeat` with a negative axis, `tile`, `prod` at zeros:
NaN). Those are written here from autograd operations that it does differentiate
(indexing, products, sums), never from autodiff. Everything else is autograd.numpy itself.
np.fft is written here as products with DFT matrices (autograd's rfft and irfft rules refuse
odd lengths and are wrong with norm='forward'): linear maps with constant complex matrices,
which autograd differentiates to every order.
scipy.special (`sc` and `asc` in programs) is autograd.scipy.special, with the functions it
lacks (ndtr, log_ndtr, ndtri, log_expit, xlogy, the entropies, i0e, i1e, softmax) and the
logsumexp weights it treats as constants written out the same way.
"""
import types

import autograd
import autograd.numpy as agnp
import autograd.numpy.linalg as aglinalg
import autograd.scipy.special as agsp
import numpy as onp
from autograd.tracer import getval


def _axis(x, axis):
    return axis % agnp.ndim(x)


def flip(x, axis=None):
    axes = range(agnp.ndim(x)) if axis is None else [_axis(x, a) for a in onp.atleast_1d(axis)]
    return x[tuple(slice(None, None, -1) if a in axes else slice(None)
                   for a in range(agnp.ndim(x)))]


def take_along_axis(x, idx, axis):
    axis = _axis(x, axis)
    grids = onp.ogrid[tuple(slice(n) for n in idx.shape)]
    return x[tuple(idx if a == axis else grids[a] for a in range(agnp.ndim(x)))]


def sort(x, axis=-1):
    if axis is None:
        x, axis = agnp.ravel(x), 0
    return take_along_axis(x, onp.argsort(getval(x), axis=axis, kind="stable"), axis)


def take(x, indices, axis=None):
    if axis is None:
        return agnp.ravel(x)[onp.asarray(indices)]
    return x[(slice(None),) * _axis(x, axis) + (onp.asarray(indices),)]


def cumprod(x, axis=None):
    if axis is None:
        x, axis = agnp.ravel(x), 0
    y = agnp.moveaxis(x, axis, 0)
    out = [y[0]]
    for i in range(1, y.shape[0]):
        out.append(out[-1] * y[i])
    return agnp.moveaxis(agnp.stack(out), 0, axis)


def prod(x, axis=None, keepdims=False):
    """autograd's prod divides by the entries (NaN at a zero): multiply one slice at a time."""
    shape = agnp.shape(x)
    axes = range(len(shape)) if axis is None else [a % len(shape) for a in onp.atleast_1d(axis)]
    rest = [a for a in range(len(shape)) if a not in axes]
    y = agnp.reshape(agnp.transpose(x, list(axes) + rest), (-1,) + tuple(shape[a] for a in rest))
    out = y[0]
    for i in range(1, agnp.shape(y)[0]):
        out = out * y[i]
    if keepdims:
        out = agnp.reshape(out, tuple(1 if a in axes else n for a, n in enumerate(shape)))
    return out


def cbrt(x):
    return agnp.sign(x) * agnp.abs(x) ** (1.0 / 3.0)


def broadcast_to(x, shape):
    return x + onp.zeros(shape)


def where(c, x, y):
    shape = onp.broadcast_shapes(onp.shape(c), agnp.shape(x), agnp.shape(y))
    return agnp.where(c, broadcast_to(x, shape), broadcast_to(y, shape))


def outer(a, b):
    return agnp.outer(agnp.ravel(a), agnp.ravel(b))


def diagonal(x, offset=0, axis1=0, axis2=1):
    assert offset == 0 and (axis1, axis2) == (0, 1)
    n = min(x.shape[0], x.shape[1])
    return agnp.moveaxis(x[onp.arange(n), onp.arange(n)], 0, -1)


def einsum(spec, *operands):
    """autograd's einsum rejects a repeated index within one operand ('ii->'): take those
    diagonals by indexing first."""
    inputs, output = spec.split("->")
    subs = inputs.split(",")
    operands = list(operands)
    for k, s in enumerate(subs):
        while len(set(s)) < len(s):
            p = next(i for i, c in enumerate(s) if s.index(c) < i)
            q = s.index(s[p])
            x = agnp.moveaxis(operands[k], p, q + 1)
            n = onp.arange(x.shape[q])
            operands[k] = x[(slice(None),) * q + (n, n)]
            s = s[:p] + s[p + 1:]
        subs[k] = s
    return agnp.einsum(",".join(subs) + "->" + output, *operands)


def solve(a, b):
    """autograd's solve does not broadcast stacks of matrices against each other, nor a vector
    b against a stack (NumPy 2: one right-hand side for every matrix)."""
    if agnp.ndim(b) == 1 and agnp.ndim(a) == 2:
        return aglinalg.solve(a, b)
    if agnp.ndim(b) == 1:
        column = broadcast_to(agnp.reshape(b, (-1, 1)), agnp.shape(a)[:-1] + (1,))
        return aglinalg.solve(a, column)[..., 0]
    batch = onp.broadcast_shapes(agnp.shape(a)[:-2], agnp.shape(b)[:-2])
    return aglinalg.solve(broadcast_to(a, batch + agnp.shape(a)[-2:]),
                          broadcast_to(b, batch + agnp.shape(b)[-2:]))


def ptp(x, axis=None, keepdims=False):
    return agnp.max(x, axis=axis, keepdims=keepdims) - agnp.min(x, axis=axis, keepdims=keepdims)


def average(x, axis=None, weights=None):
    if weights is None:
        return agnp.mean(x, axis=axis)
    w = onp.asarray(weights)
    if axis is not None and w.ndim == 1:
        w = w.reshape((-1,) + (1,) * (agnp.ndim(x) - 1 - _axis(x, axis)))
    return agnp.sum(x * w, axis=axis) / onp.sum(w * onp.ones(agnp.shape(x)), axis=axis)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    assert x is None
    y = agnp.moveaxis(y, axis, -1)
    return agnp.sum((y[..., 1:] + y[..., :-1]) * (dx / 2.0), axis=-1)


def median(x, axis=None, keepdims=False):
    shape = agnp.shape(x)
    if axis is None:
        x, ax = agnp.ravel(x), 0
    else:
        ax = _axis(x, axis)
    n = agnp.shape(x)[ax]
    s = sort(x, ax)
    m = agnp.mean(take(s, [(n - 1) // 2, n // 2], ax), axis=ax)
    if keepdims:
        m = agnp.reshape(m, tuple(1 if axis is None or a == ax else d
                                  for a, d in enumerate(shape)))
    return m


def pad(x, pad_width, constant_values=0.0):
    widths = onp.broadcast_to(onp.asarray(pad_width), (agnp.ndim(x), 2))
    for a, (before, after) in enumerate(widths):
        shape = list(agnp.shape(x))
        parts = []
        for w in (before, after):
            shape[a] = w
            parts.append(onp.full(shape, constant_values, dtype=float))
        x = agnp.concatenate([parts[0], x, parts[1]], axis=a)
    return x


def convolve(a, v, mode="full"):
    assert mode == "full"
    a, v = agnp.reshape(a, (-1,)), agnp.reshape(v, (-1,))  # NumPy takes scalars as 1-vectors
    m = agnp.shape(v)[0]
    return sum(v[j] * agnp.concatenate([onp.zeros(j), a, onp.zeros(m - 1 - j)])
               for j in range(m))


def cross(a, b):
    """autograd's cross fails for 2-vectors and broadcasting: the formula by indexing (a
    2-vector with a 3-vector: z = 0 for the 2-vector, as NumPy)."""
    if agnp.shape(a)[-1] != agnp.shape(b)[-1]:
        a, b = (agnp.concatenate([v, onp.zeros(agnp.shape(v)[:-1] + (1,))], axis=-1)
                if agnp.shape(v)[-1] == 2 else v for v in (a, b))
    a, b = a + 0.0 * b, b + 0.0 * a  # broadcast against each other
    if agnp.shape(a)[-1] == 2:
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    return agnp.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                       a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                       a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], axis=-1)


def kron(a, b):
    """autograd's kron is wrong at rank 3 and refuses mixed ranks: NumPy's definition, the
    outer product of the entries with each axis of `a` interleaved with the same of `b`."""
    na, nb = agnp.ndim(a), agnp.ndim(b)
    if na == 0 or nb == 0:
        return a * b
    nd = max(na, nb)
    sa = (1,) * (nd - na) + agnp.shape(a)
    sb = (1,) * (nd - nb) + agnp.shape(b)
    out = agnp.reshape(agnp.reshape(a, (-1, 1)) * agnp.reshape(b, (1, -1)), sa + sb)
    out = agnp.transpose(out, [k for i in range(nd) for k in (i, nd + i)])
    return agnp.reshape(out, tuple(p * q for p, q in zip(sa, sb)))


def eigvalsh(a):
    return aglinalg.eigh(a)[0]


def matrix_power(a, k):
    if k < 0:
        a, k = aglinalg.inv(a), -k
    out = a
    for _ in range(k - 1):
        out = agnp.matmul(out, a)
    return out


def repeat(x, repeats, axis=None):
    """autograd's repeat gets a negative axis wrong: index instead."""
    if axis is None:
        x, axis = agnp.ravel(x), 0
    return take(x, onp.repeat(onp.arange(agnp.shape(x)[axis]), repeats), axis)


def tile(x, reps):
    """autograd's tile is wrong in its gradient: index instead."""
    reps = tuple(onp.atleast_1d(reps))
    nd = max(agnp.ndim(x), len(reps))
    x = agnp.reshape(x, (1,) * (nd - agnp.ndim(x)) + agnp.shape(x))
    reps = (1,) * (nd - len(reps)) + reps
    return x[onp.ix_(*[onp.arange(r * n) % n for r, n in zip(reps, agnp.shape(x))])]


def norm(x, ord=None, axis=None, keepdims=False):
    if ord is None or ord == "fro":  # autograd's fails with axis and keepdims
        return agnp.sqrt(agnp.sum(x * x, axis=axis, keepdims=keepdims))
    if ord in (1, onp.inf) and agnp.ndim(x) == 1 and axis is None:
        return agnp.sum(agnp.abs(x)) if ord == 1 else agnp.max(agnp.abs(x))
    if ord in (2, "nuc") and agnp.ndim(x) == 2 and axis is None:
        s = aglinalg.svd(x, compute_uv=False)
        return agnp.max(s) if ord == 2 else agnp.sum(s)
    return aglinalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


# --- np.fft: DFT matrix products (see the module docstring) -----------------------------------
def _last(x, axis, fn):
    """fn applied along `axis` (moved last and back)."""
    return agnp.moveaxis(fn(agnp.moveaxis(x, axis, -1)), -1, axis)


def _resize(x, n):
    """x cropped or zero-padded to n along the last axis, as NumPy's n and s do."""
    m = agnp.shape(x)[-1]
    if n <= m:
        return x[..., :n]
    return agnp.concatenate([x, onp.zeros(agnp.shape(x)[:-1] + (n - m,))], axis=-1)


def _scale(n, norm, inverse):
    norm = norm or "backward"
    if norm == "ortho":
        return 1.0 / onp.sqrt(n)
    return 1.0 / n if (norm == "backward") == inverse else 1.0


def _dft(x, n, axis, norm, inverse):
    n = agnp.shape(x)[axis] if n is None else n
    k = onp.arange(n)
    w = onp.exp((2j if inverse else -2j) * onp.pi * onp.outer(k, k) / n) * _scale(n, norm, inverse)
    return _last(x, axis, lambda y: agnp.dot(_resize(y, n), w))  # w is symmetric


def _fftn(x, s, axes, norm, inverse):
    if axes is None:
        axes = range(-len(s), 0) if s is not None else range(agnp.ndim(x))
    s = [None] * len(axes) if s is None else s
    for n, axis in zip(s, axes):
        x = _dft(x, n, axis, norm, inverse)
    return x


def _rfft(x, n=None, axis=-1, norm=None):
    n = agnp.shape(x)[axis] if n is None else n
    return _last(_dft(x, n, axis, norm, False), axis, lambda y: y[..., :n // 2 + 1])


def _irfft(c, n=None, axis=-1, norm=None):
    """Re(sum_k w_k c_k e^{2 pi i jk/n}) * scale: w_k = 2 for the bins that stand for two."""
    n = 2 * (agnp.shape(c)[axis] - 1) if n is None else n
    m = n // 2 + 1
    k = onp.arange(m)
    weights = onp.where((k >= 1) & (k <= (n - 1) // 2), 2.0, 1.0)
    w = (weights[:, None] * onp.exp(2j * onp.pi * onp.outer(k, onp.arange(n)) / n)
         * _scale(n, norm, True))
    return _last(c, axis, lambda y: agnp.real(agnp.dot(_resize(y, m), w)))


def _rfftn(x, s=None, axes=None, norm=None):
    if axes is None:
        axes = list(range(-len(s), 0)) if s is not None else list(range(agnp.ndim(x)))
    s = [None] * len(axes) if s is None else list(s)
    return _fftn(_rfft(x, s[-1], axes[-1], norm), s[:-1], axes[:-1], norm, False)


def _irfftn(c, s=None, axes=None, norm=None):
    if axes is None:
        axes = list(range(-len(s), 0)) if s is not None else list(range(agnp.ndim(c)))
    s = [None] * len(axes) if s is None else list(s)
    return _irfft(_fftn(c, s[:-1], axes[:-1], norm, True), s[-1], axes[-1], norm)


def _shift(x, axes, sign):
    axes = range(agnp.ndim(x)) if axes is None else onp.atleast_1d(axes)
    for a in axes:
        n = agnp.shape(x)[a]
        x = take(x, (onp.arange(n) - sign * (n // 2)) % n, a)
    return x


fft = types.SimpleNamespace(
    fft=lambda a, n=None, axis=-1, norm=None: _dft(a, n, axis, norm, False),
    ifft=lambda a, n=None, axis=-1, norm=None: _dft(a, n, axis, norm, True),
    fftn=lambda a, s=None, axes=None, norm=None: _fftn(a, s, axes, norm, False),
    ifftn=lambda a, s=None, axes=None, norm=None: _fftn(a, s, axes, norm, True),
    fft2=lambda a, s=None, axes=(-2, -1), norm=None: _fftn(a, s, axes, norm, False),
    ifft2=lambda a, s=None, axes=(-2, -1), norm=None: _fftn(a, s, axes, norm, True),
    rfft=_rfft, irfft=_irfft, rfftn=_rfftn, irfftn=_irfftn,
    irfft2=lambda a, s=None, axes=(-2, -1), norm=None: _irfftn(a, s, axes, norm),
    fftshift=lambda x, axes=None: _shift(x, axes, 1),
    ifftshift=lambda x, axes=None: _shift(x, axes, -1))


linalg = types.SimpleNamespace(**{n: getattr(aglinalg, n) for n in dir(aglinalg)
                                  if not n.startswith("_")})
linalg.eigvalsh, linalg.matrix_power, linalg.norm = eigvalsh, matrix_power, norm
linalg.eigvals = lambda a: aglinalg.eig(a)[0]  # autograd differentiates eig, not eigvals
linalg.solve = solve

OVERRIDES = dict(flip=flip, sort=sort, take=take, take_along_axis=take_along_axis,
                 cumprod=cumprod, cbrt=cbrt, broadcast_to=broadcast_to, where=where,
                 outer=outer, diagonal=diagonal, cross=cross, kron=kron, ptp=ptp, average=average,
                 trapezoid=trapezoid, median=median, pad=pad, convolve=convolve, prod=prod,
                 einsum=einsum, repeat=repeat, tile=tile, linalg=linalg, fft=fft)


class _OracleNumpy(types.ModuleType):
    def __getattr__(self, name):
        return getattr(agnp, name)


np = _OracleNumpy("oracle_numpy")
np.__dict__.update(OVERRIDES)

# `ad` inside programs (derivatives nested in the function being differentiated)
ad = types.SimpleNamespace(grad=autograd.grad)


# --- scipy.special, bound to `sc` and `asc` in programs --------------------------------------
# autograd.scipy.special where it has the function (gammaln, gamma, digamma/psi, polygamma,
# multigammaln, beta, betaln, erf, erfc, erfinv, erfcinv, expit, logit, logsumexp without b,
# gammainc, gammaincc and betainc in x);
# the rest from autograd operations, exact on the domains the templates keep to.
_SQRT2 = onp.sqrt(2.0)


def ndtr(x):
    return 0.5 * agsp.erfc(-x / _SQRT2)


def log_ndtr(x):
    """log(ndtr(x)): erfc keeps its relative precision in the lower tail (until it underflows
    near x = -38, where the program is skipped as not finite)."""
    return agnp.log(ndtr(x))


def ndtri(p):
    return _SQRT2 * agsp.erfinv(2.0 * p - 1.0)


def log_expit(x):
    return -agnp.logaddexp(0.0, -x)


def xlogy(x, y):
    return x * agnp.log(y)


def xlog1py(x, y):
    return x * agnp.log1p(y)


def entr(x):
    return -x * agnp.log(x)


def rel_entr(x, y):
    return x * agnp.log(x / y)


def kl_div(x, y):
    return x * agnp.log(x / y) - x + y


def i0e(x):
    return agnp.exp(-agnp.abs(x)) * agsp.i0(x)


def i1e(x):
    return agnp.exp(-agnp.abs(x)) * agsp.i1(x)


def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """autograd's logsumexp, but with weights b (autograd treats them as constants, and has no
    return_sign) written out: log|sum(b exp(a - m))| + m, m the maximum as a constant."""
    if b is None and not return_sign:
        return agsp.logsumexp(a, axis=axis, keepdims=keepdims)
    a = a + 0.0 * b  # scipy broadcasts a against b first
    m = onp.max(getval(a), axis=axis, keepdims=True)
    s = agnp.sum(b * agnp.exp(a - m), axis=axis, keepdims=keepdims)
    m = m if keepdims else onp.squeeze(m, axis=axis)
    out = agnp.log(agnp.abs(s)) + m
    return (out, onp.sign(getval(s))) if return_sign else out


def softmax(x, axis=None):
    return agnp.exp(x - logsumexp(x, axis=axis, keepdims=True))


def log_softmax(x, axis=None):
    return x - logsumexp(x, axis=axis, keepdims=True)


SPECIAL_OVERRIDES = dict(ndtr=ndtr, log_ndtr=log_ndtr, ndtri=ndtri, log_expit=log_expit,
                         xlogy=xlogy, xlog1py=xlog1py, entr=entr, rel_entr=rel_entr,
                         kl_div=kl_div, i0e=i0e, i1e=i1e, logsumexp=logsumexp, softmax=softmax,
                         log_softmax=log_softmax)


class _OracleSpecial(types.ModuleType):
    def __getattr__(self, name):
        return getattr(agsp, name)


sc = _OracleSpecial("oracle_special")
sc.__dict__.update(SPECIAL_OVERRIDES)

# the names a program is executed with (program.Program.compile)
MODULES = {"np": np, "ad": ad, "sc": sc, "asc": sc}
