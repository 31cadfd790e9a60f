"""`autodiff.scipy.stats`: log densities and distribution functions of scipy.stats'
distributions, with scipy's argument names and defaults, differentiable in the data and in every
parameter (to any order):

    from autodiff.scipy import stats
    stats.gamma.logpdf(x, a, loc=0, scale=1)       # d/dx, d/da, d/dloc, d/dscale
    stats.norm.logcdf(x, loc, scale)

Continuous: norm, t, cauchy, laplace, logistic, gamma, beta, expon, lognorm (logpdf, pdf,
logcdf, cdf, logsf, sf). Discrete: poisson, binom, nbinom, bernoulli (logpmf, pmf, logcdf, cdf,
logsf, sf). Multivariate: multivariate_normal, dirichlet (logpdf, pdf). Outside the support a
log density is -inf, as scipy's. The distribution functions of t, gamma, beta, binom, nbinom are
incomplete beta or gamma functions, whose derivatives in their shape parameters (df, a, b, n)
autodiff does not have: with such a parameter traced they raise NotImplementedError (the
derivatives in the data, loc, scale and p are exact).
"""
from typing import Callable, Optional, Tuple

import numpy as np

from ..core.tracer import Tracer, bottom
from ..numpy import functions as F
from ..primitives import elementwise as E, reductions as R
from ..primitives import special as S
from ..primitives.shape import shape_of
from ..numpy import linalg as L
from ..typing import Array, ArrayLike

_LOG_2PI = np.log(2.0 * np.pi)


def _inside(condition, value, outside):
    """value where the (constant) condition holds, else `outside`: computed on safe values
    there (`value` is a function of a mask of safe places), so no NaN reaches any derivative."""
    condition = bottom(condition) if isinstance(condition, Tracer) else \
        np.asarray(condition, dtype=bool)  # under ad.jit a staged mask (core.tracer.bottom)
    return E.where(condition, value(condition), outside)


def _plain(x):
    """x as a constant float array: its innermost value (a staged one under ad.jit, so that a
    replay recomputes what depends on it: see core.tracer.bottom)."""
    x = bottom(x)
    return x * 1.0 if isinstance(x, Tracer) else np.asarray(x, dtype=float)


def _safe(mask, x, fill):
    """x where mask holds, else the constant fill (inside a domain's formula)."""
    return E.where(mask, x, fill)


class _Continuous:
    """A location-scale family: the standard density (and distribution functions) of
    z = (x - loc) / scale, with shape parameters; the pdf picks up 1 / scale."""

    name: str  # scipy.stats' name, set by each distribution
    shapes: Tuple[str, ...] = ()  # the names of its shape parameters, in scipy's order

    def _support(self, z, *shapes):
        return np.ones(shape_of(z), dtype=bool)

    def _args(self, args, kwargs, fname):
        names = self.shapes + ("loc", "scale")
        if len(args) > len(names):
            raise TypeError(f"{self.name}.{fname} takes x, {', '.join(names)}; got "
                            f"{len(args) + 1} positional arguments")
        values = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names:
                raise TypeError(f"{self.name}.{fname}: unexpected argument {k!r} (it takes "
                                f"x, {', '.join(names)})")
            if k in values:
                raise TypeError(f"{self.name}.{fname}: got {k!r} twice")
            values[k] = v
        missing = [n for n in self.shapes if n not in values]
        if missing:
            raise TypeError(f"{self.name}.{fname}: missing shape parameter(s) "
                            f"{', '.join(missing)}")
        shapes = [F._as_array(values[n]) for n in self.shapes]
        return shapes, F._as_array(values.get("loc", 0.0)), F._as_array(values.get("scale", 1.0))

    def _standard(self, x, loc, scale):
        return (F._as_array(x) - loc) / scale

    def logpdf(self, x: ArrayLike, *args: ArrayLike, **kwargs: ArrayLike) -> Array:
        shapes, loc, scale = self._args(args, kwargs, "logpdf")
        z = self._standard(x, loc, scale)
        inside = self._support(z, *shapes)
        return _inside(inside, lambda m: self._logpdf(_safe(m, z, self._inner), *shapes),
                       -np.inf) - E.log(scale)

    def pdf(self, x: ArrayLike, *args: ArrayLike, **kwargs: ArrayLike) -> Array:
        return E.exp(self.logpdf(x, *args, **kwargs))

    def _distribution(self, fname, x, args, kwargs):
        shapes, loc, scale = self._args(args, kwargs, fname)
        return getattr(self, "_" + fname)(self._standard(x, loc, scale), *shapes)

    def logcdf(self, x: ArrayLike, *args: ArrayLike, **kwargs: ArrayLike) -> Array:
        return self._distribution("logcdf", x, args, kwargs)

    def cdf(self, x: ArrayLike, *args: ArrayLike, **kwargs: ArrayLike) -> Array:
        return self._distribution("cdf", x, args, kwargs)

    def logsf(self, x: ArrayLike, *args: ArrayLike, **kwargs: ArrayLike) -> Array:
        return self._distribution("logsf", x, args, kwargs)

    def sf(self, x: ArrayLike, *args: ArrayLike, **kwargs: ArrayLike) -> Array:
        return self._distribution("sf", x, args, kwargs)

    _logpdf: Callable[..., Array]  # each distribution's standard log density and cdf
    _cdf: Callable[..., Array]

    # by default, the distribution functions follow from the cdf
    _inner = 0.5  # a point inside the support, standing in where x is outside

    def _logcdf(self, z, *shapes):
        return E.log(self._cdf(z, *shapes))

    def _sf(self, z, *shapes):
        return 1.0 - self._cdf(z, *shapes)

    def _logsf(self, z, *shapes):
        return E.log(self._sf(z, *shapes))

    def __repr__(self) -> str:
        return f"<autodiff.scipy.stats.{self.name}>"


class _Norm(_Continuous):
    name = "norm"

    def _logpdf(self, z):
        return -0.5 * (z * z) - 0.5 * _LOG_2PI

    def _cdf(self, z):
        return S.ndtr(z)

    def _logcdf(self, z):
        return S.log_ndtr(z)

    def _sf(self, z):
        return S.ndtr(-z)

    def _logsf(self, z):
        return S.log_ndtr(-z)


class _T(_Continuous):
    name, shapes = "t", ("df",)

    def _logpdf(self, z, df):
        return (S.gammaln(0.5 * (df + 1.0)) - S.gammaln(0.5 * df) - 0.5 * E.log(df * np.pi)
                - 0.5 * (df + 1.0) * E.log1p(z * z / df))

    def _cdf(self, z, df):
        return S.stdtr(df, z)

    def _sf(self, z, df):
        return S.stdtr(df, -z)


class _Cauchy(_Continuous):
    name = "cauchy"

    def _logpdf(self, z):
        return -np.log(np.pi) - E.log1p(z * z)

    def _cdf(self, z):
        return 0.5 + E.arctan(z) / np.pi

    def _sf(self, z):
        return 0.5 - E.arctan(z) / np.pi


class _Laplace(_Continuous):
    name = "laplace"

    def _logpdf(self, z):
        return -np.log(2.0) - E.absolute(z)

    def _cdf(self, z):
        return E.where(bottom(z) < 0, 0.5 * E.exp(E.minimum(z, 0.0)),
                       1.0 - 0.5 * E.exp(-E.maximum(z, 0.0)))

    def _sf(self, z):
        return self._cdf(-z)


class _Logistic(_Continuous):
    name = "logistic"

    def _logpdf(self, z):
        return S.log_expit(z) + S.log_expit(-z)

    def _cdf(self, z):
        return S.expit(z)

    def _logcdf(self, z):
        return S.log_expit(z)

    def _sf(self, z):
        return S.expit(-z)

    def _logsf(self, z):
        return S.log_expit(-z)


class _Gamma(_Continuous):
    name, shapes, _inner = "gamma", ("a",), 1.0

    def _support(self, z, a):
        return bottom(z) > 0

    def _logpdf(self, z, a):
        return (a - 1.0) * E.log(z) - z - S.gammaln(a)

    def _cdf(self, z, a):
        return S.gammainc(a, E.maximum(z, 0.0))

    def _sf(self, z, a):
        return S.gammaincc(a, E.maximum(z, 0.0))


class _Beta(_Continuous):
    name, shapes = "beta", ("a", "b")

    def _support(self, z, a, b):
        zv = bottom(z)
        return (zv > 0) & (zv < 1)

    def _logpdf(self, z, a, b):
        return (a - 1.0) * E.log(z) + (b - 1.0) * E.log1p(-z) - S.betaln(a, b)

    def _cdf(self, z, a, b):
        return S.betainc(a, b, E.clip(z, 0.0, 1.0))

    def _sf(self, z, a, b):
        return S.betainc(b, a, 1.0 - E.clip(z, 0.0, 1.0))


class _Expon(_Continuous):
    name, _inner = "expon", 1.0

    def _support(self, z):
        return bottom(z) >= 0

    def _logpdf(self, z):
        return -z

    def _cdf(self, z):
        return -E.expm1(-E.maximum(z, 0.0))

    def _logsf(self, z):
        return -E.maximum(z, 0.0)

    def _sf(self, z):
        return E.exp(self._logsf(z))


class _Lognorm(_Continuous):
    name, shapes, _inner = "lognorm", ("s",), 1.0

    def _support(self, z, s):
        return bottom(z) > 0

    def _logpdf(self, z, s):
        log_z = E.log(z)
        return -0.5 * (log_z / s) ** 2 - log_z - E.log(s) - 0.5 * _LOG_2PI

    def _w(self, z, s):
        zv = bottom(z) > 0
        return E.where(zv, E.log(E.where(zv, z, 1.0)) / s, -np.inf)

    def _cdf(self, z, s):
        return S.ndtr(self._w(z, s))

    def _logcdf(self, z, s):
        return S.log_ndtr(self._w(z, s))

    def _sf(self, z, s):
        return S.ndtr(-self._w(z, s))

    def _logsf(self, z, s):
        return S.log_ndtr(-self._w(z, s))


class _Discrete:
    """A distribution on the integers (shifted by loc): the log pmf of k - loc, -inf off the
    integers and outside the support. k is data, not differentiated; the parameters are."""

    name: str  # scipy.stats' name, set by each distribution
    shapes: Tuple[str, ...] = ()  # the names of its shape parameters, in scipy's order

    def _args(self, args, kwargs, fname):
        names = self.shapes + ("loc",)
        values = dict(zip(names, args))
        if len(args) > len(names):
            raise TypeError(f"{self.name}.{fname} takes k, {', '.join(names)}")
        for key, v in kwargs.items():
            if key not in names or key in values:
                raise TypeError(f"{self.name}.{fname}: unexpected or repeated argument {key!r} "
                                f"(it takes k, {', '.join(names)})")
            values[key] = v
        missing = [n for n in self.shapes if n not in values]
        if missing:
            raise TypeError(f"{self.name}.{fname}: missing parameter(s) {', '.join(missing)}")
        return [F._as_array(values[n]) for n in self.shapes], values.get("loc", 0)

    def _k(self, k: ArrayLike, loc: ArrayLike) -> np.ndarray:
        return _plain(k) - _plain(loc)

    def logpmf(self, k: ArrayLike, *args: ArrayLike, **kwargs: ArrayLike) -> Array:
        shapes, loc = self._args(args, kwargs, "logpmf")
        k = self._k(k, loc)
        inside = (k == np.floor(k)) & self._support(k, *shapes)
        safe_k = np.where(inside, k, self._inner)
        return _inside(inside, lambda m: self._logpmf(safe_k, *shapes), -np.inf)

    def pmf(self, k: ArrayLike, *args: ArrayLike, **kwargs: ArrayLike) -> Array:
        return E.exp(self.logpmf(k, *args, **kwargs))

    def cdf(self, k: ArrayLike, *args: ArrayLike, **kwargs: ArrayLike) -> Array:
        shapes, loc = self._args(args, kwargs, "cdf")
        whole = np.floor(self._k(k, loc))
        low, high = whole < self._lowest, self._above(whole, *shapes)
        safe_k = np.where(low | high, self._inner, whole)
        inside = _inside(~(low | high), lambda m: self._cdf(safe_k, *shapes), 0.0)
        return E.where(high, 1.0, inside)

    def logcdf(self, k: ArrayLike, *args: ArrayLike, **kwargs: ArrayLike) -> Array:
        cdf = self.cdf(k, *args, **kwargs)
        with np.errstate(divide="ignore"):  # log 0 = -inf below the support, as scipy's
            return E.log(cdf)

    def sf(self, k: ArrayLike, *args: ArrayLike, **kwargs: ArrayLike) -> Array:
        return 1.0 - self.cdf(k, *args, **kwargs)

    def logsf(self, k: ArrayLike, *args: ArrayLike, **kwargs: ArrayLike) -> Array:
        sf = self.sf(k, *args, **kwargs)
        with np.errstate(divide="ignore"):  # log 0 = -inf past the support
            return E.log(sf)

    _lowest, _inner = 0, 0.0
    _logpmf: Callable[..., Array]  # each distribution's log pmf and cdf on its support
    _cdf: Callable[..., Array]

    def _support(self, k, *shapes):
        return k >= 0

    def _above(self, k, *shapes):
        """Where k is at or past the top of the support (the cdf is 1)."""
        return np.zeros(np.shape(k), dtype=bool)

    def __repr__(self) -> str:
        return f"<autodiff.scipy.stats.{self.name}>"


class _Poisson(_Discrete):
    name, shapes = "poisson", ("mu",)

    def _logpmf(self, k, mu):
        return S.xlogy(k, mu) - mu - S.gammaln(k + 1.0)

    def _cdf(self, k, mu):
        # P(K <= k) = Q(k + 1, mu); its derivative in mu is -pmf(k), a closed form
        return S.gammaincc(k + 1.0, mu)


class _Binom(_Discrete):
    name, shapes = "binom", ("n", "p")

    def _support(self, k, n, p):
        return (k >= 0) & (k <= bottom(n))

    def _above(self, k, n, p):
        return k >= bottom(n)

    def _logpmf(self, k, n, p):
        return (S.gammaln(n + 1.0) - S.gammaln(k + 1.0) - S.gammaln(n - k + 1.0)
                + S.xlogy(k, p) + S.xlog1py(n - k, -p))

    def _cdf(self, k, n, p):
        return S.betainc(n - k, k + 1.0, 1.0 - p)


class _Nbinom(_Discrete):
    name, shapes = "nbinom", ("n", "p")

    def _logpmf(self, k, n, p):
        return (S.gammaln(n + k) - S.gammaln(k + 1.0) - S.gammaln(n)
                + n * E.log(p) + S.xlog1py(k, -p))

    def _cdf(self, k, n, p):
        return S.betainc(n, k + 1.0, p)


class _Bernoulli(_Discrete):
    name, shapes = "bernoulli", ("p",)

    def _support(self, k, p):
        return (k == 0) | (k == 1)

    def _above(self, k, p):
        return k >= 1

    def _logpmf(self, k, p):
        return S.xlogy(k, p) + S.xlog1py(1.0 - k, -p)

    def _cdf(self, k, p):
        return 1.0 - p


class _MultivariateNormal:
    """multivariate_normal.logpdf(x, mean=None, cov=1): x's last axis holds the components."""

    name = "multivariate_normal"

    def logpdf(self, x: ArrayLike, mean: Optional[ArrayLike] = None, cov: ArrayLike = 1,
               allow_singular: bool = False) -> Array:
        if allow_singular:
            raise NotImplementedError("multivariate_normal.logpdf(allow_singular=True) is not "
                                      "differentiable in autodiff: the covariance must be "
                                      "positive definite")
        x = F._as_array(x)
        shape = F.shape_of(x)
        k = shape[-1] if shape else 1
        d = x if mean is None else x - F._as_array(mean)
        c = F._as_array(cov)
        if F.shape_of(c) == () or F.shape_of(c) == (k,):  # a variance, or a diagonal
            c = c * np.eye(k) if F.shape_of(c) == () else F.diag(c)
        d = F.reshape(d, (-1, k)) if len(shape) != 1 else F.reshape(d, (1, k))
        solved = L.solve(c, F.transpose(d))  # k x n
        quad = R.sum(F.transpose(d) * solved, axis=0)
        logdet = L.slogdet(c)[1]
        out = -0.5 * (k * _LOG_2PI + logdet + quad)
        return F.reshape(out, shape[:-1]) if len(shape) > 1 else F.reshape(out, ())

    def pdf(self, x: ArrayLike, mean: Optional[ArrayLike] = None, cov: ArrayLike = 1,
            allow_singular: bool = False) -> Array:
        return E.exp(self.logpdf(x, mean, cov, allow_singular))

    def __repr__(self) -> str:
        return f"<autodiff.scipy.stats.{self.name}>"


class _Dirichlet:
    """dirichlet.logpdf(x, alpha): the components along x's first axis (scipy's convention)."""

    name = "dirichlet"

    def logpdf(self, x: ArrayLike, alpha: ArrayLike) -> Array:
        x, alpha = F._as_array(x), F._as_array(alpha)
        k = F.shape_of(alpha)[0]
        a = F.reshape(alpha, (k,) + (1,) * (len(F.shape_of(x)) - 1))
        norm = S.gammaln(R.sum(alpha, 0)) - R.sum(S.gammaln(alpha), 0)
        return norm + R.sum(S.xlogy(a - 1.0, x), 0)

    def pdf(self, x: ArrayLike, alpha: ArrayLike) -> Array:
        return E.exp(self.logpdf(x, alpha))

    def __repr__(self) -> str:
        return f"<autodiff.scipy.stats.{self.name}>"


norm, t, cauchy, laplace, logistic = _Norm(), _T(), _Cauchy(), _Laplace(), _Logistic()
gamma, beta, expon, lognorm = _Gamma(), _Beta(), _Expon(), _Lognorm()
poisson, binom, nbinom, bernoulli = _Poisson(), _Binom(), _Nbinom(), _Bernoulli()
multivariate_normal, dirichlet = _MultivariateNormal(), _Dirichlet()

__all__ = ["norm", "t", "cauchy", "laplace", "logistic", "gamma", "beta", "expon", "lognorm",
           "poisson", "binom", "nbinom", "bernoulli", "multivariate_normal", "dirichlet"]


def __getattr__(name):
    raise AttributeError(f"autodiff.scipy.stats has no {name!r}: scipy.stats.{name} is not "
                         f"differentiable in autodiff yet (supported: {', '.join(__all__)})")
