"""Hypothesis strategies for random programs over autodiff's operations.

Shapes are valid by construction: every candidate line is first evaluated with plain NumPy on
stand-in values, and kept only if NumPy accepts it (so NumPy itself decides broadcasting,
indexing and product shapes). Broadcasting is emphasized: the arguments' shapes are variants
of one base shape with size-1 axes and missing leading axes, constants and Python scalars are
mixed in, and adapters such as `t[:, None]` and `reshape(-1, 1)` are frequent.

Domains are safe by writing them into the source (`np.log(x * x + 0.5)`); kinks and
singularities (abs at 0, ties of max or sort, ill-conditioned matrices, repeated eigenvalues)
become guards: distances checked on the actual inputs at test time (see Line.guards).

Complex values appear only inside a program: a line makes one from real ones (`a + 1j * b`),
complex lines transform it (exp, products, conj, np.fft...), and a projection (np.real, np.imag,
np.abs, np.angle) brings it back; real operations never read a complex line, and every complex
line is projected before the end. So inputs and outputs stay real and every transform and
comparison applies unchanged (derivatives through complex intermediates are real ones).
"""
import re
import warnings

import numpy as onp
import scipy.special
from hypothesis import strategies as st

from . import oracle
from .program import Arg, Line, Program

DIMS = st.sampled_from([1, 1, 2, 2, 3, 4])
MAX_SIZE = 24
MAX_RANK = 4
MAX_LINES = 8

# --- the catalogue: tag -> source template ({x}, {y}: variables; {c}: a Python float) --------
UNARY = {
    "sin": "np.sin({x})", "cos": "np.cos({x})", "tan": "np.tan(np.tanh({x}))",
    "tanh": "np.tanh({x})", "arctan": "np.arctan({x})", "sinh": "np.sinh({x})",
    "cosh": "np.cosh({x})", "arcsinh": "np.arcsinh({x})", "exp": "np.exp({x})",
    "expm1": "np.expm1({x})", "exp2": "np.exp2({x})", "log": "np.log({x} * {x} + 0.5)",
    "log1p": "np.log1p({x} ** 2)", "log2": "np.log2(np.exp({x}) + 1.0)",
    "log10": "np.log10(np.cosh({x}))", "sqrt": "np.sqrt({x} * {x} + 0.25)",
    "cbrt": "np.cbrt({x} ** 2 + 0.5)", "reciprocal": "np.reciprocal(1.0 + {x} ** 2)",
    "square": "np.square({x})", "negative": "np.negative({x})", "neg": "-{x}",
    "pow_int": "{x} ** 3", "pow_float": "(0.5 + {x} ** 2) ** 1.5",
    "arcsin": "np.arcsin(0.9 * np.tanh({x}))", "arccos": "np.arccos(0.9 * np.tanh({x}))",
    "arctanh": "np.arctanh(0.8 * np.sin({x}))", "arccosh": "np.arccosh(1.5 + {x} ** 2)",
    "scale": "{c} * {x}", "shift": "{x} - {c}", "rdiv": "{c} / (1.0 + {x} * {x})",
    "rsub": "{c} - {x}", "rpow": "1.7 ** {x}", "deg2rad": "np.deg2rad({x})",
    "rad2deg": "0.01 * np.rad2deg({x})",
    "abs": "np.abs({x})", "absolute": "np.absolute({x})", "abs_builtin": "abs({x})",
    "sign_times": "np.sign({x}) * {x}", "mod": "np.mod({x}, 0.7)",
}
KINKED_UNARY = {"abs", "absolute", "abs_builtin", "sign_times"}

BINARY = {
    "add": "{x} + {y}", "np_add": "np.add({x}, {y})", "sub": "{x} - {y}",
    "np_subtract": "np.subtract({x}, {y})", "mul": "{x} * {y}",
    "np_multiply": "np.multiply({x}, {y})", "div": "{x} / (1.0 + {y} ** 2)",
    "np_divide": "np.divide({x}, 0.5 + {y} * {y})", "hypot": "np.hypot({x}, {y})",
    "arctan2": "np.arctan2({x}, 1.0 + {y} ** 2)", "logaddexp": "np.logaddexp({x}, {y})",
    "logaddexp2": "np.logaddexp2({x}, {y})",
    "power": "np.power(0.5 + {x} ** 2, np.tanh({y}))",
    "pow_traced": "(0.5 + {x} ** 2) ** np.sin({y})",
    "maximum": "np.maximum({x}, {y})", "minimum": "np.minimum({x}, {y})",
    "where_cmp": "np.where({x} > {y}, {x} * {y}, {x} - {y})",
}
KINKED_BINARY = {"maximum", "minimum", "where_cmp"}

REDUCTIONS = {  # tag: (call with {x} and {kw}, can take a tuple axis, keepdims, axis positional)
    "sum": ("np.sum({x}{kw})", True, True, True), "mean": ("np.mean({x}{kw})", True, True, True),
    "max": ("np.max({x}{kw})", True, True, True), "min": ("np.min({x}{kw})", True, True, True),
    "amax": ("np.amax({x}{kw})", True, True, True), "amin": ("np.amin({x}{kw})", True, True, True),
    "prod": ("np.prod({x}{kw})", True, True, True), "var": ("np.var({x}{kw})", True, True, False),
    "std": ("np.std({x}{kw})", True, True, False),
    "method_sum": ("{x}.sum({kw0})", True, True, True),
    "method_mean": ("{x}.mean({kw0})", True, True, True),
    "method_max": ("{x}.max({kw0})", True, True, True),
    "method_min": ("{x}.min({kw0})", True, True, True),
    "method_prod": ("{x}.prod({kw0})", True, True, True),
    "method_var": ("{x}.var({kw0})", True, True, False),
    "cumsum": ("np.cumsum({x}{kw})", False, False, True),
    "method_cumsum": ("{x}.cumsum({kw0})", False, False, True),
    "cumprod": ("np.cumprod({x}{kw})", False, False, True),
    "ptp": ("np.ptp({x}{kw})", False, True, True),
    "median": ("np.median({x}{kw})", False, True, True),
    "average": ("np.average({x}{kw})", False, False, False),
    "trapezoid": ("np.trapezoid({x}{kw})", False, False, False),
}

LINALG_SPD = ["solve", "inv", "det", "slogdet", "cholesky", "eigh_values", "eigh_vectors",
              "eigvalsh", "matrix_power"]
LINALG_EIG = ["eig_values", "eig_abs", "eig_vectors"]  # general (non-symmetric) matrices
LINALG_GENERAL = ["norm", "norm_axis", "norm_1", "norm_inf", "norm_fro", "norm_nuc", "norm_2",
                  "svd_values", "svd_vectors", "pinv"]
PRODUCTS = ["matmul", "np_matmul", "dot", "inner", "outer", "tensordot", "einsum",
            "einsum_unary", "gram", "kron", "cross", "convolve"]
SHAPE = ["reshape", "method_reshape", "transpose", "transpose_perm", "T", "swapaxes",
         "moveaxis", "stack", "concatenate", "squeeze", "expand_dims", "broadcast_to", "flip",
         "roll", "where_mask", "clip", "sort", "repeat", "tile", "take", "diagonal", "trace",
         "tril", "triu", "diff", "ravel", "vstack", "hstack", "atleast_2d", "split", "pad",
         "take_along_axis", "method_flatten", "method_transpose", "method_clip",
         "method_squeeze", "method_swapaxes", "method_trace"]
# (no x.repeat(): autograd's method gets a negative axis wrong, and methods bypass oracle.py)
ADAPTERS = {"newaxis_mid": "{x}[:, None]", "newaxis_front": "{x}[None]",
            "newaxis_end": "{x}[..., None]", "column": "{x}.reshape(-1, 1)",
            "np_column": "np.reshape({x}, (-1, 1))"}
NESTED = {"grad": "ad.grad(lambda u: np.sum(np.sin(u * {y}) + u ** 3))({x})",
          "grad_closure": "ad.grad(lambda u: np.sum(np.tanh(u + {y})) * np.sum({y} ** 2))({x})"}
INDEXING = ["basic", "int_array", "bool_mask", "mixed", "data_mask"]
# scipy.special (program.py: `sc` the ufuncs, `asc` autodiff.scipy.special's Python functions)
SPECIAL_UNARY = {
    "gammaln": "sc.gammaln({x} * {x} + 0.5)", "gamma": "sc.gamma({x} * {x} + 0.5)",
    "digamma": "sc.digamma({x} * {x} + 0.5)", "psi": "sc.psi(1.0 + {x} * {x})",
    "polygamma": "asc.polygamma({n}, {x} * {x} + 0.5)",
    "multigammaln": "asc.multigammaln({x} * {x} + {a}, {d})",
    "erf": "sc.erf({x})", "erfc": "sc.erfc({x})", "erfinv": "sc.erfinv(0.9 * np.tanh({x}))",
    "erfcinv": "sc.erfcinv(1.0 + 0.9 * np.tanh({x}))", "ndtr": "sc.ndtr({x})",
    "log_ndtr": "sc.log_ndtr({x})", "ndtri": "sc.ndtri(0.5 + 0.45 * np.tanh({x}))",
    "expit": "sc.expit({x})", "logit": "sc.logit(0.1 + 0.8 * sc.expit({x}))",
    "log_expit": "sc.log_expit({x})", "entr": "sc.entr({x} * {x} + 0.05)",
    "i0e": "sc.i0e({x})", "i1e": "sc.i1e({x})",
    # shape parameters constant (autodiff refuses their derivatives by name)
    "gammainc": "sc.gammainc({p}, {x} * {x} + 0.1)",
    "gammaincc": "sc.gammaincc({p}, {x} * {x} + 0.1)",
    "betainc": "sc.betainc({p}, {q}, 0.5 + 0.45 * np.tanh({x}))",
}
KINKED_SPECIAL = {"i0e", "i1e"}  # exp(-|x|): a kink at 0 (i1e's in its second derivative)
SPECIAL_BINARY = {
    "beta": "sc.beta({x} * {x} + 0.5, {y} * {y} + 0.5)",
    "betaln": "sc.betaln({x} * {x} + 0.5, {y} * {y} + 0.5)",
    "xlogy": "sc.xlogy({x}, {y} * {y} + 0.5)", "xlog1py": "sc.xlog1py({x}, {y} * {y})",
    "rel_entr": "sc.rel_entr({x} * {x} + 0.1, {y} * {y} + 0.1)",
    "kl_div": "sc.kl_div({x} * {x} + 0.1, {y} * {y} + 0.1)",
}
SPECIAL_AXIS = {  # along axes: (call with {x} and {kw}, keepdims)
    "logsumexp": ("asc.logsumexp({x}{kw})", True),
    "logsumexp_b": ("asc.logsumexp({x}{kw}, b={b} * {b} + 0.1)", True),
    "logsumexp_sign": ("asc.logsumexp({x}{kw}, b={b}, return_sign=True)[0]", True),
    "softmax": ("asc.softmax({x}{kw})", False), "log_softmax": ("asc.log_softmax({x}{kw})", False),
}
# complex lines ({z}, {w}: complex variables; {k}: a complex Python constant)
COMPLEX_MAKE = {"make": "{x} + 1j * {y}", "make_scaled": "{x} * {k}",
                "make_cis": "np.exp(1j * {x})", "make_sum": "{k} * {x} - 1j * {y}"}
COMPLEX_OPS = {"exp": "np.exp(0.5 * {z})", "sin": "np.sin({z})", "cos": "np.cos({z})",
               "scale": "{k} * {z}", "mul": "{z} * {w}", "conj": "np.conj({z})",
               "conjugate": "np.conjugate({z})", "square": "{z} * {z}", "pow": "{z} ** 2",
               "pow3": "{z} ** 3", "recip": "1 / ({z} + 2)", "add_real": "{z} + {x}",
               "matmul": "{z} @ {K}", "sum": "np.sum({z}{kw})"}
COMPLEX_REAL = {"real": "np.real({z})", "imag": "np.imag({z})", "abs": "np.abs({z})",
                "abs2": "np.abs({z}) ** 2", "norm2": "np.real({z} * np.conj({z}))",
                "angle": "np.angle({z})",
                # two slices of one complex array, one brought back by real(): the reverse
                # sweep meets real()'s real cotangent first, then the complex one, in z's buffer
                "slices": "np.abs({z}[..., -1:]) ** 2 + np.real({z}[..., :1])"}
FFT = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "fftn", "ifftn", "rfftn", "irfft2",
       "irfftn", "fftshift", "ifftshift"]
HEADS = ["np.sum(out)", "np.sum(out ** 2)", "np.sum(np.sin(out) * {w})", "np.mean(np.tanh(out))",
         "np.sum(out) ** 2", "np.sum(np.exp(0.3 * out))", "out.sum()"]


def all_tags():
    """Every tag the generator can produce (KNOWN_FAILURES entries must be among them)."""
    return ({f"unary:{t}" for t in UNARY} | {f"binary:{t}" for t in BINARY}
            | {f"reduce:{t}" for t in REDUCTIONS} | {f"linalg:{t}" for t in LINALG_SPD}
            | {f"linalg:{t}" for t in LINALG_GENERAL} | {f"linalg:{t}" for t in LINALG_EIG}
            | {f"product:{t}" for t in PRODUCTS} | {"product:general_square"}
            | {f"shape:{t}" for t in SHAPE} | {f"adapt:{t}" for t in ADAPTERS}
            | {f"index:{t}" for t in INDEXING} | {f"nested:{t}" for t in NESTED}
            | {f"special:{t}" for t in [*SPECIAL_UNARY, *SPECIAL_BINARY, *SPECIAL_AXIS]}
            | {f"complex:{t}" for t in [*COMPLEX_MAKE, *COMPLEX_OPS, *COMPLEX_REAL]}
            | {f"fft:{t}" for t in FFT}
            | {"product:spd", "product:kron_nd", "reduce:median_keepdims",
               "product:cross_2d", "product:convolve_scalar"})


class Builder:
    """Grows a program line by line; `draw` is hypothesis's, so choices shrink."""

    def __init__(self, draw, args, banned):
        self.draw = draw
        self.banned = banned
        self.program = Program(list(args))
        rng = onp.random.default_rng(0)
        # stand-in values to find shapes with (positive, so nothing is singular); NumPy itself
        # judges shapes, the oracle only runs derivatives nested in the program
        self.env = {"np": onp, "ad": oracle.ad, "onp": onp, "sc": scipy.special,
                    "asc": scipy.special}
        self.nested_env = dict(self.env, np=oracle.np, sc=oracle.sc, asc=oracle.sc)
        for a in args:
            self.env[a.name] = 0.7 if a.is_float else rng.uniform(0.5, 1.5, a.shape)
        self.shapes = {a.name: a.shape for a in args}
        self.floats = {a.name for a in args if a.is_float}
        self.complex = set()  # complex lines: only complex and fft lines read them
        self.unused = [a.name for a in args]  # values no line reads yet: preferred operands

    # -- choices -------------------------------------------------------------------------------
    def choose(self, family, options):
        allowed = [o for o in options if f"{family}:{o}" not in self.banned]
        return self.draw(st.sampled_from(allowed)) if allowed else None

    def pick(self, ok=lambda shape: True, arrays_only=False, complex=False):
        """A variable whose shape passes `ok`, recent ones first (deep chains), or None; a
        complex one if `complex`, else a real one."""
        names = [n for n, s in self.shapes.items()
                 if ok(s) and not (arrays_only and n in self.floats)
                 and (n in self.complex) == complex]
        if not names:
            return None
        fresh = [n for n in names if n in self.unused]
        read = [n for n in names if n not in self.unused]
        how = self.draw(st.integers(0, 3))
        if fresh and how >= 2:  # mostly the newest unread: deep chains, little dead code
            return fresh[-1]
        if read and how == 1:  # a value read again: fan-out, cotangents added together
            return self.draw(st.sampled_from(read[::-1]))
        return self.draw(st.sampled_from(names[::-1]))

    def scalar(self, lo=-2.0, hi=2.0):
        return round(self.draw(st.floats(lo, hi, allow_nan=False)), 3)

    def const(self, shape, kind="float"):
        name = f"K{len(self.program.consts)}"
        seed = self.draw(st.integers(0, 2**16))
        rng = onp.random.default_rng(seed)
        if kind == "bool":
            value = onp.asarray(rng.uniform(size=shape) < 0.5)
        elif isinstance(kind, tuple):  # ("index", n): integers in [0, n)
            value = onp.asarray(rng.integers(0, kind[1], size=shape))
        else:
            value = onp.asarray(onp.round(rng.uniform(-1.5, 1.5, size=shape), 3))
        self.program.consts[name] = value
        self.env[name] = self.nested_env[name] = value
        return name

    def broadcastable_shape(self, shape):
        """A shape that broadcasts with `shape`: some axes 1, maybe fewer or more leading."""
        shape = list(shape)
        drop = self.draw(st.integers(0, len(shape)))
        out = [1 if self.draw(st.booleans()) else d for d in shape[drop:]]
        if len(shape) < 3 and self.draw(st.booleans()):
            out = [self.draw(DIMS)] + out
        return tuple(out)

    # -- adding lines --------------------------------------------------------------------------
    def add(self, expr, tag, guards=()):
        """Append `expr` as a new line if NumPy accepts it on the stand-in values."""
        name = f"t{len(self.program.lines)}"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = eval(expr, self.nested_env if tag.startswith("nested") else self.env)
        except Exception:
            return False
        shape = onp.shape(value)
        if (onp.size(value) == 0 or onp.size(value) > MAX_SIZE or len(shape) > MAX_RANK
                or not onp.all(onp.isfinite(value))):
            return False
        self.env[name] = self.nested_env[name] = value
        self.shapes[name] = shape
        if onp.iscomplexobj(value):
            self.complex.add(name)
        self.program.lines.append(Line(name, expr, shape, tag, tuple(guards)))
        read = set(re.findall(r"\b[a-zA-Z_]\w*\b", expr))
        self.unused = [n for n in self.unused if n not in read] + [name]
        return True

    def join_unused(self):
        """Make the output depend on every line: add the means of the unread ones (a scalar
        broadcast onto the output, itself a pattern worth testing)."""
        out = self.program.out
        dead = [n for n in self.unused if n != out and n.startswith("t")]
        if dead:
            terms = " + ".join(f"np.mean({n})" for n in dead)
            self.add(f"{out} + 0.5 * ({terms})", "binary:add")

    # -- operations (each returns True if it added a line) -------------------------------------
    def unary(self):
        tag = self.choose("unary", list(UNARY))
        x = self.pick()
        if tag is None or x is None:
            return False
        expr = UNARY[tag].format(x=x, c=self.scalar())
        guards = [("|x| near 0 (abs kink)", f"min_abs({x})")] if tag in KINKED_UNARY else []
        if tag == "mod":
            guards = [("jump of mod", f"min_abs(onp.mod({x} + 0.35, 0.7) - 0.35)")]
        return self.add(expr, f"unary:{tag}", guards)

    def operand(self, x):
        """A second operand that broadcasts with x: a variable, a constant or a float."""
        sx = self.shapes[x]
        kind = self.draw(st.sampled_from(["var", "var", "const", "float"]))
        if kind == "var":
            def fits(s):
                try:
                    return len(onp.broadcast_shapes(sx, s)) <= 3
                except ValueError:
                    return False
            y = self.pick(fits)
            if y is not None:
                return y
        if kind == "float":
            return repr(self.scalar())
        return self.const(self.broadcastable_shape(sx))

    def binary(self):
        tag = self.choose("binary", list(BINARY))
        x = self.pick()
        if tag is None or x is None:
            return False
        y = self.operand(x)
        if self.draw(st.booleans()):
            x, y = y, x
        guards = [("ties (kink)", f"min_abs({x} - {y})")] if tag in KINKED_BINARY else []
        if tag == "hypot":
            guards = [("hypot at 0", f"onp.min(onp.hypot({x}, {y}))")]
        return self.add(BINARY[tag].format(x=x, y=y), f"binary:{tag}", guards)

    def fan_in(self):
        """The newest value combined with one already read elsewhere: a value with several
        readers gets cotangents added together (where in-place and compact shortcuts meet)."""
        names = [n for n in self.shapes if n not in self.complex]
        read = [n for n in names if n not in self.unused and n not in self.floats]
        if not read:
            return False
        x = names[-1]
        y = self.draw(st.sampled_from(read[::-1]))
        tag = self.choose("binary", ["add", "mul", "sub"])
        if tag is None:
            return False
        template = BINARY[tag]
        if self.draw(st.booleans()):  # y read twice more: its cotangents are summed
            template = "{y} * {y} + " + template
        return self.add(template.format(x=x, y=y), f"binary:{tag}")

    def adapt(self):
        tag = self.choose("adapt", list(ADAPTERS))
        x = self.pick(lambda s: len(s) >= 1, arrays_only=True)
        if tag is None or x is None:
            return False
        return self.add(ADAPTERS[tag].format(x=x), f"adapt:{tag}")

    def axis_kw(self, rank, allow_tuple, keepdims, positional_ok=True):
        """(keyword source, axis) for a reduction over a random axis, axes or all."""
        kind = self.draw(st.sampled_from(["none", "int", "int", "tuple"]))
        if kind == "tuple" and allow_tuple and rank >= 2:
            axes = self.draw(st.lists(st.integers(0, rank - 1), min_size=1, max_size=rank,
                                      unique=True))
            axis = tuple(a - rank if self.draw(st.booleans()) else a for a in axes)
        elif kind != "none" and rank >= 1:
            axis = self.draw(st.integers(-rank, rank - 1))
        else:
            axis = None
        parts = []
        if axis is not None:
            parts.append(f"{axis}" if positional_ok and self.draw(st.booleans())
                         else f"axis={axis}")
        if keepdims and self.draw(st.booleans()):
            parts.append("keepdims=True")
        return ", ".join(parts), axis

    def reduce(self):
        tag = self.choose("reduce", list(REDUCTIONS))
        x = self.pick(lambda s: len(s) >= 1, arrays_only=True)
        if tag is None or x is None:
            return False
        template, allow_tuple, keepdims, positional = REDUCTIONS[tag]
        kw, axis = self.axis_kw(len(self.shapes[x]), allow_tuple, keepdims, positional)
        if tag in ("var", "std", "method_var") and self.draw(st.booleans()):
            kw = ", ".join(p for p in (kw, "ddof=1") if p)
        if tag == "average":
            n = self.shapes[x][axis] if axis is not None else None
            weights = self.const((n,) if n else self.shapes[x])
            kw = ", ".join(p for p in (kw, f"weights=np.exp({weights})") if p)
        if tag == "trapezoid":
            if axis is None:
                return False
            kw += f", dx={self.scalar(0.1, 2.0)}"
        expr = template.format(x=x, kw=", " + kw if kw else "", kw0=kw)
        if tag == "median" and "keepdims" in kw:
            tag = "median_keepdims"
            if "reduce:median_keepdims" in self.banned:
                return False
        guards = []
        if tag in ("max", "min", "amax", "amin", "method_max", "method_min", "ptp"):
            sign = "-" if "min" in tag else ""
            guards = [("ties of max/min", f"gap_max({sign}{x}, {axis!r})")]
        if tag == "ptp":
            guards.append(("ties of min", f"gap_max(-{x}, {axis!r})"))
        if tag.startswith("median"):
            guards = [("ties (median)", f"gap_sort({x}, {axis!r})")]
        if tag in ("var", "std", "method_var"):
            ddof = 1 if "ddof=1" in kw else 0
            n = onp.prod([self.shapes[x][a] for a in onp.atleast_1d(
                range(len(self.shapes[x])) if axis is None else axis)])
            if n <= ddof:
                return False
            if tag == "std":
                guards = [("std at zero spread",
                           f"onp.min(onp.std({x}, axis={axis!r}, ddof={ddof}))")]
        return self.add(expr, f"reduce:{tag}", guards)

    def index(self):
        tag = self.choose("index", INDEXING)
        x = self.pick(lambda s: len(s) >= 1, arrays_only=True)
        if tag is None or x is None:
            return False
        shape = self.shapes[x]
        if tag == "data_mask":
            c = self.scalar(-1.0, 1.0)
            return self.add(f"np.sum({x}[{x} > {c}] ** 2)", "index:data_mask",
                            [("entries at the mask's threshold", f"min_abs({x} - {c})")])
        items = []
        advanced = 0
        ellipsis = False
        for axis, n in enumerate(shape):
            if self.draw(st.integers(0, 5)) == 0:
                items.append("None")
            options = ["slice", "slice", "full", "int"]
            if tag in ("int_array", "mixed") and advanced < 2:
                options += ["int_array"] * 3
            if tag in ("bool_mask", "mixed") and advanced < 1:
                options += ["bool"] * 3
            if not ellipsis and tag in ("basic", "mixed"):
                options.append("ellipsis")
            kind = self.draw(st.sampled_from(options))
            if kind == "ellipsis":
                items.append("...")
                ellipsis = True
                break
            items.append(self.index_item(kind, n))
            advanced += kind in ("int_array", "bool")
            if axis < len(shape) - 1 and self.draw(st.integers(0, 4)) == 0:
                break  # fewer indices than axes: the rest are whole
        expr = f"{x}[{', '.join(items)}]"
        return self.add(expr, f"index:{tag}")

    def index_item(self, kind, n):
        if kind == "full":
            return ":"
        if kind == "int":
            i = self.draw(st.integers(-n, n - 1))
            return str(i)
        if kind == "int_array":
            idx = self.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=4))
            return f"onp.array({idx})" if self.draw(st.booleans()) else str(idx)
        if kind == "bool":
            mask = self.draw(st.lists(st.booleans(), min_size=n, max_size=n))
            if not any(mask):
                mask[0] = True
            return f"onp.array({mask})"
        step = self.draw(st.sampled_from([None, None, 1, 2, -1, -1, -2]))
        start = self.draw(st.none() | st.integers(-n, n - 1))
        stop = self.draw(st.none() | st.integers(-n, n))
        text = ":".join("" if v is None else str(v) for v in (start, stop))
        return text + ("" if step is None else f":{step}")

    def product(self):
        tag = self.choose("product", PRODUCTS)
        x = self.pick(lambda s: len(s) >= 1, arrays_only=True)
        if tag is None or x is None:
            return False
        sx = self.shapes[x]
        if tag == "gram":
            expr = f"{x}.T @ {x}" if len(sx) == 2 else f"{x} @ np.swapaxes({x}, -1, -2)"
            return self.add(expr, "product:gram")
        if tag == "einsum_unary":
            letters = "ijkl"[:len(sx)]
            spec = self.einsum_output(letters, {c: d for c, d in zip(letters, sx)})
            if len(sx) >= 2 and sx[0] == sx[1] and self.draw(st.booleans()):
                spec = "ii" + letters[2:] + "->" + self.draw(st.sampled_from(["", "i"]))
            return self.add(f"np.einsum('{spec}', {x})", "product:einsum_unary")
        templates = {"matmul": "{x} @ {y}", "np_matmul": "np.matmul({x}, {y})",
                     "dot": "np.dot({x}, {y})", "inner": "np.inner({x}, {y})",
                     "outer": "np.outer({x}, {y})", "tensordot": "np.tensordot({x}, {y}, axes={k})",
                     "einsum": "np.einsum('{spec}', {x}, {y})", "kron": "np.kron({x}, {y})",
                     "cross": "np.cross({x}, {y})", "convolve": "np.convolve({x}, {y})"}
        k = self.draw(st.integers(0, min(2, len(sx))))
        y = self.pick(arrays_only=True)
        spec = None
        if tag == "einsum":
            y = y or x
            spec = self.einsum_spec(sx, self.shapes[y])
        expr = templates[tag].format(x=x, y=y, k=k, spec=spec)
        if tag == "cross" and y is not None and (sx[-1] == 2 or self.shapes[y][-1:] == (2,)):
            if "product:cross_2d" in self.banned:
                return False
            return self.add(expr, "product:cross_2d")
        if tag == "convolve" and y is not None and self.shapes[y] == ():
            if "product:convolve_scalar" in self.banned:
                return False
            return self.add(expr, "product:convolve_scalar")
        if tag == "kron" and y is not None and (len(sx) != len(self.shapes[y]) or len(sx) > 2):
            if "product:kron_nd" in self.banned:
                return False
            return self.add(expr, "product:kron_nd")
        if y is not None and self.add(expr, f"product:{tag}"):
            return True
        # no fitting variable: a constant of a fitting shape
        n = sx[-1]
        m = self.draw(DIMS)
        if (tag == "kron" and len(sx) > 1) or (tag == "cross" and sx[-1] != 3):
            return False
        shape = {"tensordot": tuple(sx[len(sx) - k:]) + (m,), "outer": (m,),
                 "inner": (m, n), "kron": (m,), "cross": (n,), "convolve": (m,)}.get(
                     tag, self.draw(st.sampled_from([(n,), (n, m)])))
        y = self.const(shape)
        if tag == "einsum":
            spec = self.einsum_spec(sx, shape)
        return self.add(templates[tag].format(x=x, y=y, k=k, spec=spec), f"product:{tag}")

    def einsum_spec(self, sa, sb):
        letters = iter("abcdefgh")
        la = [next(letters) for _ in sa]
        dims = dict(zip(la, sa))
        lb = []
        for d in sb:
            shared = [c for c, n in zip(la, sa) if n == d and c not in lb]
            if shared and self.draw(st.booleans()):
                lb.append(self.draw(st.sampled_from(shared)))
            else:
                c = next(letters)
                dims[c] = d
                lb.append(c)
        return "".join(la) + "," + "".join(lb) + "->" + self.einsum_output(
            list(dict.fromkeys(la + lb)), dims).split("->")[1]

    def einsum_output(self, letters, dims):
        out = self.draw(st.permutations(list(letters)))
        keep = self.draw(st.integers(0, len(out)))
        return "".join(letters) + "->" + "".join(out[:keep])

    def spd(self):
        """A line holding a well-conditioned symmetric positive definite (stack of) matrix."""
        x = self.pick(lambda s: 1 <= len(s) <= 3 and s[-1] <= 4, arrays_only=True)
        if x is None or "product:spd" in self.banned:
            return None
        n = self.shapes[x][-1]
        # distinct diagonal shifts: the eigenvalues are distinct too (outer(x, x) has rank 1)
        shift = f"onp.diag({[1.0 + 1.5 * i for i in range(n)]})"
        if len(self.shapes[x]) == 1:
            expr = f"np.outer({x}, {x}) + {shift}"
        else:
            expr = f"np.swapaxes({x}, -1, -2) @ {x} + {shift}"
        return self.program.lines[-1].name if self.add(expr, "product:spd") else None

    def general_square(self):
        """A line holding a general (non-symmetric) square (stack of) matrix, its eigenvalues
        spread by distinct diagonal shifts (real or complex: the rest decides)."""
        x = self.pick(lambda s: 1 <= len(s) <= 3 and 2 <= s[-1] <= 4
                      and (len(s) == 1 or s[-2] == s[-1]), arrays_only=True)
        if x is None or "product:general_square" in self.banned:
            return None
        n = self.shapes[x][-1]
        shift = f"onp.diag({[1.5 * i for i in range(n)]})"
        if len(self.shapes[x]) == 1:
            expr = f"np.outer({x}, np.sin({x}) + 0.5) + {shift}"
        else:
            expr = f"{x} + {shift}"
        return self.program.lines[-1].name if self.add(expr, "product:general_square") else None

    def eig(self, tag):
        """np.linalg.eig / eigvals of a general matrix, made real again (complex lines are
        projected): the eigenvalues' real and imaginary parts mixed, their moduli, or the
        eigenvectors' squared moduli (phase-free: the oracle, autograd, fixes the eigenvectors'
        phase differently than NumPy)."""
        M = self.general_square()
        if M is None:
            return False
        guards = [("repeated or defective eigenvalues", f"general_eig_gap({M})")]
        if tag == "eig_values":
            expr = f"np.real(np.linalg.eigvals({M}) * (1.0 + 0.5j))"
        elif tag == "eig_abs":
            expr = f"np.abs(np.linalg.eigvals({M}))"
            guards.append(("an eigenvalue near 0", f"min_abs(onp.linalg.eigvals({M}))"))
        else:
            expr = f"np.abs(np.linalg.eig({M})[1]) ** 2"
            guards.append(("an eigenvector component near 0",
                           f"min_abs(onp.linalg.eig({M})[1])"))
        return self.add(expr, f"linalg:{tag}", guards)

    def linalg(self):
        tag = self.choose("linalg", LINALG_SPD + LINALG_GENERAL + LINALG_EIG)
        if tag is None:
            return False
        if tag in LINALG_EIG:
            return self.eig(tag)
        if tag in LINALG_SPD:
            M = self.spd()
            if M is None:
                return False
            cond = ("ill-conditioned", f"inv_cond({M})")
            gap = ("repeated eigenvalues", f"eig_gap({M})")
            n = self.shapes[M][-1]
            if tag == "solve":
                b = self.pick(lambda s: s == (n,) or (len(s) >= 2 and s[-2] == n),
                              arrays_only=True)
                b = b or self.const(self.draw(st.sampled_from([(n,), (n, 2)])))
                return self.add(f"np.linalg.solve({M}, {b})", "linalg:solve", [cond])
            k = self.draw(st.sampled_from([2, 3, -1]))
            expr = {"inv": "np.linalg.inv({M})", "det": "np.linalg.det({M})",
                    "slogdet": "np.linalg.slogdet({M})[1]",
                    "cholesky": "np.linalg.cholesky({M})",
                    "eigh_values": "np.linalg.eigh({M})[0]",
                    "eigh_vectors": "np.linalg.eigh({M})[1] ** 2",
                    "eigvalsh": "np.linalg.eigvalsh({M})",
                    "matrix_power": "np.linalg.matrix_power({M}, {k})"}[tag]
            guards = [cond, gap] if tag.startswith("eig") else [cond]
            return self.add(expr.format(M=M, k=k), f"linalg:{tag}", guards)
        matrix = tag in ("norm_fro", "norm_nuc", "norm_2", "svd_values", "svd_vectors", "pinv")
        x = self.pick((lambda s: len(s) == 2) if matrix and tag.startswith("norm") else
                      (lambda s: len(s) >= 2) if matrix else
                      (lambda s: len(s) == 1) if tag in ("norm_1", "norm_inf") else
                      (lambda s: len(s) >= 1), arrays_only=True)
        if x is None:
            return False
        if tag == "norm_axis":
            kw, axis = self.axis_kw(len(self.shapes[x]), False, True, positional_ok=False)
            if axis is None:
                return False
            return self.add(f"np.linalg.norm({x}, {kw})", "linalg:norm_axis",
                            [("norm at 0", f"onp.min(onp.linalg.norm({x}, axis={axis}))")])
        expr = {"norm": "np.linalg.norm({x})", "norm_1": "np.linalg.norm({x}, 1)",
                "norm_inf": "np.linalg.norm({x}, np.inf)", "norm_fro": "np.linalg.norm({x}, 'fro')",
                "norm_nuc": "np.linalg.norm({x}, 'nuc')", "norm_2": "np.linalg.norm({x}, 2)",
                "svd_values": "np.linalg.svd({x}, compute_uv=False)",
                "svd_vectors": "np.linalg.svd({x}, full_matrices=False)[0] ** 2",
                "pinv": "np.linalg.pinv({x})"}[tag].format(x=x)
        guards = {"norm": [("norm at 0", f"onp.linalg.norm({x})")],
                  "norm_fro": [("norm at 0", f"onp.linalg.norm({x})")],
                  "norm_1": [("|x| near 0", f"min_abs({x})")],
                  "norm_inf": [("ties of max |x|", f"gap_max(onp.abs({x}), None)")],
                  }.get(tag, [("singular values near 0 or repeated", f"sv_gap({x})")])
        return self.add(expr, f"linalg:{tag}", guards)

    def shape_op(self):
        tag = self.choose("shape", SHAPE)
        x = self.pick(lambda s: len(s) >= 1, arrays_only=True)
        if tag is None or x is None:
            return False
        s = self.shapes[x]
        r = len(s)
        if tag in ("tril", "triu", "diagonal", "trace", "method_trace") and r < 2:
            return False
        ax = self.draw(st.integers(-r, r - 1))
        if tag in ("reshape", "method_reshape"):
            size = int(onp.prod(s))
            dims = [d for d in range(1, size + 1) if size % d == 0]
            first = self.draw(st.sampled_from(dims))
            new = [first, size // first]
            if self.draw(st.booleans()):
                new = [1] + new if self.draw(st.booleans()) else new[:1] + [1] + new[1:]
            if self.draw(st.booleans()):
                new[self.draw(st.integers(0, len(new) - 1))] = -1
            new = tuple(new)
            expr = f"np.reshape({x}, {new})" if tag == "reshape" else f"{x}.reshape{new}"
            return self.add(expr, f"shape:{tag}")
        if tag in ("stack", "concatenate"):
            kind = self.draw(st.sampled_from(["var", "self", "const"]))
            if tag == "stack":
                y = (self.pick(lambda t: t == s) if kind == "var" else
                     f"np.sin({x})" if kind == "self" else self.const(s))
                y = y or self.const(s)
                return self.add(f"np.stack([{x}, {y}], axis={self.draw(st.integers(-r - 1, r))})",
                                "shape:stack")
            other = list(s)
            other[ax] = self.draw(DIMS)
            y = (self.pick(lambda t: len(t) == r and all(
                a == b for i, (a, b) in enumerate(zip(t, s)) if i != ax % r))
                 if kind == "var" else None)
            if y is None:
                y = (f"np.cos({x})" if kind == "self" else self.const(tuple(other)))
            return self.add(f"np.concatenate([{x}, {y}], axis={ax})", "shape:concatenate")
        k = self.draw(st.integers(-2, 3))
        perm = tuple(self.draw(st.permutations(range(r))))
        other = self.draw(st.integers(-r, r - 1))
        guards = []
        if tag in ("clip", "method_clip"):
            lo = self.scalar(-1.5, 0.5)
            hi = round(lo + self.scalar(0.2, 2.0), 3)
            guards = [("entries at the clip bounds", f"min_abs(({x} - {lo}) * ({x} - {hi}))")]
        else:
            lo = hi = None
        if tag == "sort":
            guards = [("ties (sort)", f"gap_sort({x}, {ax})")]
        templates = {
            "transpose": "np.transpose({x})", "transpose_perm": "np.transpose({x}, {perm})",
            "T": "{x}.T", "swapaxes": "np.swapaxes({x}, {ax}, {other})",
            "moveaxis": "np.moveaxis({x}, {ax}, {other})",
            "squeeze": "np.squeeze({x})" if 1 not in s or self.draw(st.booleans())
            else f"np.squeeze({{x}}, axis={s.index(1)})",
            "expand_dims": "np.expand_dims({x}, {ax2})",
            "broadcast_to": "np.broadcast_to({x}, {bshape})",
            "flip": "np.flip({x}, axis={ax})" if self.draw(st.booleans()) else "np.flip({x})",
            "roll": "np.roll({x}, {k}, axis={ax})" if self.draw(st.booleans())
            else "np.roll({x}, {k})",
            "where_mask": "np.where({mask}, {x}, {y})", "clip": "np.clip({x}, {lo}, {hi})",
            "sort": "np.sort({x}, axis={ax})", "repeat": "np.repeat({x}, {k2}, axis={ax})",
            "tile": "np.tile({x}, {reps})", "take": "np.take({x}, {idx}, axis={ax})",
            "diagonal": "np.diagonal({x})", "trace": "np.trace({x})", "tril": "np.tril({x})",
            "triu": "np.triu({x}, 1)", "diff": "np.diff({x}, axis={ax})", "ravel": "np.ravel({x})",
            "vstack": "np.vstack([{x}, {y}])", "hstack": "np.hstack([{x}, {y}])",
            "atleast_2d": "np.atleast_2d({x})", "split": "np.split({x}, [1], axis={ax})[{part}]",
            "pad": "np.pad({x}, {widths})",
            "take_along_axis": "np.take_along_axis({x}, {tidx}, axis={ax})",
            "method_flatten": "{x}.flatten()", "method_transpose": "{x}.transpose()",
            "method_clip": "{x}.clip({lo}, {hi})", "method_squeeze": "{x}.squeeze()",
            "method_swapaxes": "{x}.swapaxes({ax}, {other})",
            "method_trace": "{x}.trace()",
        }
        fields = dict(x=x, ax=ax, other=other, perm=perm, k=k, lo=lo, hi=hi,
                      k2=self.draw(st.integers(1, 2)), ax2=self.draw(st.integers(-r - 1, r)))
        if tag == "broadcast_to":
            fields["bshape"] = tuple([self.draw(DIMS)] if r < 3 else []) + tuple(
                self.draw(DIMS) if d == 1 else d for d in s)
        if tag == "where_mask":
            fields["mask"] = self.const(self.broadcastable_shape(s), kind="bool")
            fields["y"] = self.operand(x)
        if tag == "tile":
            fields["reps"] = tuple(self.draw(st.lists(st.integers(1, 2), min_size=1, max_size=2)))
        if tag in ("vstack", "hstack"):
            fields["y"] = self.pick(lambda t: t[1:] == s[1:] if tag == "vstack" else
                                    t[:1] == s[:1] and len(t) == r) or f"np.sin({x})"
        if tag == "split":
            if s[ax] < 2:
                return False
            fields["part"] = self.draw(st.integers(0, 1))
        if tag == "pad":
            fields["widths"] = tuple(tuple(self.draw(st.integers(0, 2)) for _ in range(2))
                                     for _ in range(r))
        if tag == "take_along_axis":
            n = self.draw(st.integers(1, 3))
            shape = tuple(n if i == ax % r else d for i, d in enumerate(s))
            fields["tidx"] = self.const(shape, kind=("index", s[ax]))
        if tag == "take":
            fields["idx"] = self.draw(st.lists(st.integers(0, s[ax] - 1), min_size=1, max_size=3))
        return self.add(templates[tag].format(**fields), f"shape:{tag}", guards)

    def special(self):
        """A scipy.special function, its arguments kept inside its domain by the template."""
        tag = self.choose("special", [*SPECIAL_UNARY, *SPECIAL_BINARY, *SPECIAL_AXIS])
        if tag in SPECIAL_AXIS:
            return self.special_axis(tag)
        x = self.pick()
        if tag is None or x is None:
            return False
        if tag in SPECIAL_BINARY:
            y = self.operand(x)
            if self.draw(st.booleans()):
                x, y = y, x
            return self.add(SPECIAL_BINARY[tag].format(x=x, y=y), f"special:{tag}")
        d = self.draw(st.integers(1, 3))  # multigammaln: needs a > (d - 1) / 2
        expr = SPECIAL_UNARY[tag].format(x=x, n=self.draw(st.integers(0, 3)), d=d,
                                         a=0.5 * d + 0.25, p=self.scalar(0.5, 3.0),
                                         q=self.scalar(0.5, 3.0))
        guards = [("|x| near 0 (kink of exp(-|x|))", f"min_abs({x})")] \
            if tag in KINKED_SPECIAL else []
        return self.add(expr, f"special:{tag}", guards)

    def special_axis(self, tag):
        """logsumexp (with weights b, their sign), softmax and log_softmax along random axes."""
        x = self.pick(lambda s: len(s) >= 1, arrays_only=True)
        if x is None:
            return False
        template, keepdims = SPECIAL_AXIS[tag]
        kw, axis = self.axis_kw(len(self.shapes[x]), True, keepdims)
        b = None
        guards = []
        if tag == "logsumexp_b":  # positive weights, traced or not, broadcast against x
            b = self.operand(x)
        if tag == "logsumexp_sign":  # weights of either sign: the sum must stay off zero
            b = self.const(self.broadcastable_shape(self.shapes[x]))
            guards = [("weighted sum near 0", f"min_abs(onp.sum({b} * onp.exp({x} - onp.max("
                                              f"{x} + 0.0 * {b}, {axis!r}, keepdims=True)), "
                                              f"{axis!r}))")]
        expr = template.format(x=x, b=b, kw=", " + kw if kw else "")
        return self.add(expr, f"special:{tag}", guards)

    def nested(self):
        """A derivative inside the program that closes over another traced value: the inner
        and outer derivatives must not be confused (perturbation confusion)."""
        tag = self.choose("nested", list(NESTED))
        x = self.pick(arrays_only=True)
        if tag is None or x is None:
            return False
        return self.add(NESTED[tag].format(x=x, y=self.operand(x)), f"nested:{tag}")

    def complex_number(self):
        return complex(self.scalar(), self.scalar())

    def complex_const(self, shape):
        name = self.const(shape)
        value = self.program.consts[name] + 1j * self.program.consts[self.const(shape)]
        self.program.consts[name] = self.env[name] = self.nested_env[name] = value
        return name

    def complex_line(self):
        """A complex value made from real ones (or an operation on a complex one), then a few
        operations on it; or, when complex lines are waiting, a projection back to real."""
        if self.complex & set(self.unused) and self.draw(st.integers(0, 3)) == 0:
            return self.complex_real()
        if not self.complex or self.draw(st.integers(0, 2)) == 0:
            made = self.complex_make()
        else:
            made = self.complex_op()
        if made:
            for _ in range(self.draw(st.integers(0, 2))):
                self.complex_op()
        return made

    def complex_make(self):
        tag = self.choose("complex", list(COMPLEX_MAKE))
        x = self.pick()
        if tag is None or x is None:
            return False
        y = self.operand(x)
        if "{y}" in COMPLEX_MAKE[tag] and self.draw(st.booleans()):
            x, y = y, x
        expr = COMPLEX_MAKE[tag].format(x=x, y=y, k=self.complex_number())
        return self.add(expr, f"complex:{tag}")

    def complex_op(self):
        tag = self.choose("complex", list(COMPLEX_OPS))
        z = self.pick(complex=True)
        if tag is None or z is None:
            return False
        sz = self.shapes[z]
        fields = dict(z=z, k=self.complex_number())
        guards = []
        if tag == "mul":
            w = self.pick(lambda s: _broadcasts(s, sz), complex=True)
            fields["w"] = w or self.complex_const(self.broadcastable_shape(sz))
        if tag == "add_real":
            fields["x"] = self.pick(lambda s: _broadcasts(s, sz)) or repr(self.scalar())
        if tag == "matmul":
            if not sz:
                return False
            fields["K"] = self.complex_const((sz[-1], self.draw(DIMS)))
        if tag == "sum":
            kw, _ = self.axis_kw(len(sz), True, True)
            fields["kw"] = ", " + kw if kw else ""
        if tag == "recip":
            guards = [("pole of 1 / (z + 2)", f"min_abs({z} + 2)")]
        return self.add(COMPLEX_OPS[tag].format(**fields), f"complex:{tag}", guards)

    def complex_real(self):
        waiting = [n for n in self.unused if n in self.complex]
        z = waiting[-1] if waiting and self.draw(st.booleans()) else self.pick(complex=True)
        return z is not None and self.complex_real_of(z)

    def fft(self):
        """np.fft with random n / s (crop or pad), axis / axes and norm: of a real or a
        complex value (rfft, rfftn: real only)."""
        tag = self.choose("fft", FFT)
        if tag is None:
            return False
        real_only = tag in ("rfft", "rfftn")
        z = None
        if not real_only and self.complex and self.draw(st.integers(0, 2)) > 0:
            z = self.pick(lambda s: len(s) >= 1, complex=True)
        z = z or self.pick(lambda s: len(s) >= 1, arrays_only=True)
        if z is None:
            return False
        sz = self.shapes[z]
        r = len(sz)
        kw = []
        if tag in ("fftshift", "ifftshift"):
            if self.draw(st.booleans()):
                axes = self.draw(st.lists(st.integers(-r, r - 1), min_size=1, max_size=r,
                                          unique_by=lambda a: a % r))
                kw.append(f"axes={tuple(axes) if self.draw(st.booleans()) else axes[0]}")
            return self.add(f"np.fft.{tag}({z}{''.join(', ' + k for k in kw)})", f"fft:{tag}")
        n = st.integers(1, 6)
        if tag in ("fft", "ifft", "rfft", "irfft"):
            if self.draw(st.booleans()):
                kw.append(f"n={self.draw(n)}")
            if self.draw(st.booleans()):
                kw.append(f"axis={self.draw(st.integers(-r, r - 1))}")
        else:
            if tag in ("fft2", "ifft2", "irfft2"):
                if r < 2:
                    return False
                axes = [-2, -1]
                if self.draw(st.booleans()):
                    axes = self.draw(st.lists(st.integers(-r, r - 1), min_size=2, max_size=2,
                                              unique_by=lambda a: a % r))
                    kw.append(f"axes={tuple(axes)}")
            else:
                axes = None
                if self.draw(st.booleans()):
                    axes = self.draw(st.lists(st.integers(-r, r - 1), min_size=1, max_size=r,
                                              unique_by=lambda a: a % r))
                    kw.append(f"axes={tuple(axes)}")
            if axes is not None and self.draw(st.booleans()):
                kw.insert(0, f"s={tuple(self.draw(n) for _ in axes)}")
        norm = self.draw(st.sampled_from([None, None, "backward", "ortho", "forward"]))
        if norm:
            kw.append(f"norm={norm!r}")
        return self.add(f"np.fft.{tag}({z}{''.join(', ' + k for k in kw)})", f"fft:{tag}")

    def project_complex(self):
        """Every complex line no one reads yet goes back to real (the output is real)."""
        for z in [n for n in self.unused if n in self.complex]:
            for attempt in range(3):
                if self.complex_real_of(z):
                    break
            else:
                self.add(f"np.real({z})", "complex:real")

    def complex_real_of(self, z):
        tag = self.choose("complex", list(COMPLEX_REAL))
        if tag is None:
            return False
        if tag == "slices" and not self.shapes[z]:
            tag = "real"  # a 0-d value has no slices
        guards = [("|z| near 0", f"min_abs({z})")] if tag in ("abs", "angle") else []
        if tag == "angle":  # the branch cut of angle: the negative real axis
            guards.append(("angle near its cut", f"onp.min(onp.pi - onp.abs(onp.angle({z})))"))
        return self.add(COMPLEX_REAL[tag].format(z=z), f"complex:{tag}", guards)

    def head(self):
        """The scalar f_scalar returns: a reduction of the program's output."""
        heads = HEADS if self.program.out_shape else HEADS[:-1]  # a float has no .sum()
        template = self.draw(st.sampled_from(heads))
        if "{w}" in template:
            template = template.format(w=self.const(self.program.out_shape))
        self.program.head = template


def _broadcasts(s, t):
    try:
        return len(onp.broadcast_shapes(s, t)) <= 3
    except ValueError:
        return False


OPERATIONS = ["unary", "unary", "binary", "binary", "fan_in", "fan_in", "adapt", "reduce", "reduce",
              "index", "index", "product", "linalg", "shape_op", "shape_op", "nested",
              "special", "special", "complex_line", "complex_line", "fft"]


@st.composite
def argument_lists(draw):
    """1-3 arguments: arrays whose shapes broadcast against each other, and Python floats."""
    rank = draw(st.sampled_from([2, 1, 3]))
    base = draw(st.lists(DIMS, min_size=rank, max_size=rank))
    while int(onp.prod(base)) > MAX_SIZE:
        base = base[1:]
    args = []
    for i, name in enumerate(draw(st.sampled_from(["a", "abc"[:2], "abc"]))):
        if i > 0 and draw(st.integers(0, 3)) == 0:
            args.append(Arg(name, (), is_float=True))
            continue
        if i == 0:  # the first argument has the whole base shape
            args.append(Arg(name, tuple(base)))
            continue
        drop = draw(st.integers(0, len(base)))
        shape = tuple(1 if draw(st.integers(0, 3)) == 0 else d for d in base[drop:])
        args.append(Arg(name, shape))
    return args


@st.composite
def programs(draw, banned=frozenset(), max_lines=MAX_LINES, first=()):
    """A random program (see module docstring); tags in `banned` are never generated; the
    operations named in `first` (e.g. "product") are tried first, on the arguments."""
    b = Builder(draw, draw(argument_lists()), banned)
    for operation in first:
        getattr(b, operation)()
    n = draw(st.integers(2, max_lines))
    for _ in range(n):
        for attempt in range(3):  # an operation may not fit the shapes at hand: another one
            if getattr(b, draw(st.sampled_from(OPERATIONS)))():
                break
        else:
            b.unary()
    if not b.program.lines:
        b.add(f"np.sin({b.program.args[0].name})", "unary:sin")
    b.project_complex()
    b.join_unused()
    b.head()
    return b.program


def input_values(program, seed):
    """The arguments' values: uniform in (-1.5, 1.5), so ties have probability zero."""
    rng = onp.random.default_rng(seed)
    return [float(rng.uniform(-1.5, 1.5)) if a.is_float else rng.uniform(-1.5, 1.5, a.shape)
            for a in program.args]


def kink_values(program, seed):
    """Arguments on a coarse grid with zeros: ties, zeros and repeated eigenvalues are common,
    so programs are evaluated at their kinks and degenerate points."""
    rng = onp.random.default_rng(seed)
    grid = onp.array([-1.0, -0.5, 0.0, 0.0, 0.5, 1.0])
    return [float(rng.choice(grid)) if a.is_float else rng.choice(grid, size=a.shape)
            for a in program.args]


# --- guard helpers: distances to kinks, evaluated with plain NumPy ----------------------------
def min_abs(x):
    return float(onp.min(onp.abs(x)))


def gap_max(x, axis):
    """Distance between the largest and second largest entry along `axis` (inf if alone)."""
    x = onp.asarray(x)
    if axis is None:
        x, axis = x.ravel(), 0
    axes = [a % x.ndim for a in onp.atleast_1d(axis)]
    rest = [a for a in range(x.ndim) if a not in axes]
    y = onp.transpose(x, rest + axes).reshape([x.shape[a] for a in rest] + [-1])
    if y.shape[-1] < 2:
        return float("inf")
    top = onp.sort(y, axis=-1)
    return float(onp.min(top[..., -1] - top[..., -2]))


def gap_sort(x, axis):
    x = onp.asarray(x)
    if axis is None:
        x, axis = x.ravel(), 0
    x = onp.sort(x, axis=axis)
    d = onp.diff(x, axis=axis)
    return float(onp.min(d)) if d.size else float("inf")


def inv_cond(m):
    s = onp.linalg.svd(m, compute_uv=False)
    return float(onp.min(s[..., -1] / s[..., 0]))


def eig_gap(m):
    w = onp.linalg.eigvalsh(m)
    d = onp.diff(w, axis=-1)
    return float(onp.min(d / (1.0 + onp.abs(w).max()))) if d.size else float("inf")


def general_eig_gap(m):
    """The smallest distance between eigenvalues of a general matrix, relative, and 0 for a
    (nearly) defective one (eigenvectors nearly dependent)."""
    w, v = onp.linalg.eig(m)
    n = w.shape[-1]
    d = onp.where(onp.eye(n, dtype=bool), onp.inf, onp.abs(w[..., :, None] - w[..., None, :]))
    gap = float(onp.min(d / (1.0 + onp.abs(w).max()))) if n > 1 else float("inf")
    return min(gap, float(onp.min(1.0 / onp.linalg.cond(v))))


def sv_gap(x):
    s = onp.linalg.svd(x, compute_uv=False)
    d = -onp.diff(s, axis=-1)
    smallest = onp.min(s[..., -1] / (1.0 + s[..., 0]))
    return float(min(smallest, onp.min(d / (1.0 + s[..., :1])) if d.size else onp.inf))


GUARD_HELPERS = dict(min_abs=min_abs, gap_max=gap_max, gap_sort=gap_sort, inv_cond=inv_cond,
                     eig_gap=eig_gap, sv_gap=sv_gap, general_eig_gap=general_eig_gap)
