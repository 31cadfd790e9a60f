"""Fusion for `ad.jit`: a chain of elementwise steps on large float64 arrays, whose intermediate
values nothing else reads, becomes one pass over memory compiled with numba.

Why numba and not numexpr: measured on the benchmark machine (one thread, NumPy 2.4), numexpr
was slower than NumPy's own SIMD loops for arrays that fit in cache (1.3-1.7x slower at 10^4 -
10^5 elements) and won only beyond 10^6; a numba loop over the same Rosenbrock expression was
7x faster than NumPy at 10^5 elements. numba is optional (`pip install autodiff-hessian[fast]`):
without it nothing is fused. A fused step runs its steps one by one with NumPy (bit for bit the
unfused program) for its first `WARMUP` calls (counting the program's interpreted replays, see
staging.py) and compiles only then, so a program replayed a few times never pays numba's
compilation (a fraction of a second per fused step).

Only arithmetic is fused (see SCALAR_FORMS), the same IEEE operations as NumPy's, in the same
order; the compiler is not allowed to reassociate or contract them (numba without fastmath), so
a fused loop has given NumPy's bits in every test. That is a property of numba's code
generation, not something autodiff controls, so fusion is a switch
(`ad.shortcuts.disabled("fusion")` turns it off) and is tested to agree to 1e-12, not bit for bit.
"""
import math
import threading

import numpy as np

MIN_SIZE = 8192  # elements: below this NumPy's loops are as fast and a call costs more
WARMUP = 2  # calls run unfused (bit for bit) before the step is compiled
MIN_STEPS = 2  # a group of one step gains nothing

# ufunc: how the compiled loop writes it on scalars ({} are the arguments). Arithmetic only:
# NumPy's own SIMD exp, log1p, tanh... were measured 2-4x faster than a compiled loop's (libm's)
# at 10^4 elements, and about as fast at 10^5-10^6, so a chain is cut at such a function.
SCALAR_FORMS = {
    np.add: "({} + {})", np.subtract: "({} - {})", np.multiply: "({} * {})",
    np.true_divide: "({} / {})", np.negative: "(-{})", np.square: "({0} * {0})",
    np.absolute: "abs({})",
}
_FLOAT64 = np.dtype(np.float64)

_numba = None
_kernels = {}  # generated source -> compiled kernel, shared by every program of the process
_kernels_lock = threading.Lock()


def available():
    """Whether numba can be imported (once; a failed import is remembered)."""
    global _numba
    if _numba is None:
        try:
            import numba
            _numba = numba
        except Exception:  # noqa: BLE001  (not installed, or broken: no fusion)
            _numba = False
    return _numba is not False


def _scalar_form(impl, params, refs):
    """(the loop's form of one step, the arguments it reads), or None if it is not fusable."""
    if params:
        return None
    if type(impl) is np.ufunc:
        form = SCALAR_FORMS.get(impl)
        return None if form is None or impl.nin != len(refs) or impl.nout != 1 else \
            (form, list(refs))
    return None  # (x ** 2 arrives as np.square; other powers are NumPy's pow, not fused)


def _scalar_constant(value):
    """A constant the loop can take as a literal: a finite Python or float64 scalar."""
    if type(value) is np.ndarray and value.shape == () and value.dtype == _FLOAT64:
        value = value[()]
    if type(value) in (float, int) or (isinstance(value, np.generic) and value.dtype == _FLOAT64):
        v = float(value)
        return repr(v) if math.isfinite(v) else None
    return None


class Fused:
    """One step standing for several elementwise steps (`steps`, in order). `label` names them
    for pictures and the program's source; `expression` is the compiled loop's body."""

    __slots__ = ("steps", "inputs", "ref", "shape", "expression", "label", "__name__",
                 "calls", "kernel", "_lock")

    def __init__(self, steps, inputs, ref, shape, expression, calls=0):
        self.steps, self.inputs, self.ref, self.shape = steps, inputs, ref, shape
        self.expression = expression
        self.label = "fused(" + ", ".join(step_name(s[0]) for s in steps) + ")"
        self.__name__ = "fused"
        self.calls, self.kernel, self._lock = calls, None, threading.Lock()

    def __repr__(self):
        return f"<{self.label}: {self.expression}>"

    def unfused(self, args, out=None):
        """The steps one by one with NumPy: bit for bit the program without fusion. Each
        intermediate value is read by one step only (see fuse), and dropped there."""
        inputs, values = dict(zip(self.inputs, args)), {}
        for impl, params, refs, ref in self.steps:
            values[ref] = impl(*[r.value if type(r) is not int else values.pop(r)
                                 if r in values else inputs[r] for r in refs], **params)
        result = values[self.ref]
        if out is not None:
            out[...] = result
            return out
        return result

    def __call__(self, *args, out=None):
        kernel = self.kernel
        if kernel is not None and kernel is not False and _errors_matter():
            return self.unfused(args, out)  # NumPy raises or calls back: the loop would not
        if kernel is None:
            self.calls += 1
            if self.calls <= WARMUP or not available():
                return self.unfused(args, out)
            kernel = self._compile()
        if kernel is False:  # numba could not compile it
            return self.unfused(args, out)
        if out is None:
            out = np.empty(self.shape)
        kernel(*[a.reshape(-1) for a in args], out.reshape(-1))
        return out

    def _compile(self):
        with self._lock:
            if self.kernel is None:
                names = [f"a{i}" for i in range(len(self.inputs))]
                source = (f"def kernel({', '.join(names + ['out'])}):\n"
                          f"    for i in range(out.shape[0]):\n"
                          f"        out[i] = {self.expression}\n")
                with _kernels_lock:
                    kernel = _kernels.get(source)
                    if kernel is None:
                        try:
                            env = {"np": np}
                            exec(compile(source, "<ad.jit fused step>", "exec"), env)
                            kernel = _numba.njit(error_model="numpy", nogil=True)(env["kernel"])
                            # compile now, on float64 vectors (the only kind fused)
                            kernel(*[np.ones(1) for _ in names], np.empty(1))
                        except Exception:  # noqa: BLE001  (a numba limit: stay unfused)
                            kernel = False
                        _kernels[source] = kernel
                self.kernel = kernel
            return self.kernel


def _errors_matter():
    """Whether np.errstate asks for more than warnings (raise, call, log): a compiled loop
    neither warns nor raises on a division by zero or an overflow, NumPy's loops do."""
    return not _QUIET.issuperset(np.geterr().values())


_QUIET = {"ignore", "warn", "print"}


def _fits(info, shape):
    """An array argument a loop can read: a C-contiguous float64 array of the output's shape."""
    return info is not None and info[0] and info[1] == shape and info[2] == _FLOAT64 and info[3]


def step_name(impl):
    """A step's function for people: `multiply`, `power` (not `_power_impl`), `fused(...)`."""
    name = getattr(impl, "label", None) or getattr(impl, "__name__", None) or \
        type(impl).__name__
    return name[:-len("_impl")].lstrip("_") if name.endswith("_impl") else name


def fuse(steps, meta, keep, n_inputs, replays=0):
    """steps with each fusable group replaced by one `Fused` step (see the module); the steps
    unchanged if numba is not installed. `replays`: how many times the program already ran
    these steps unfused (interpreted, see staging.Program), counted as warm-up calls.

    A step is fusable if it is an elementwise operation SCALAR_FORMS knows, its output is a
    float64 array of at least MIN_SIZE elements, and each array argument is a C-contiguous
    float64 array of the output's shape (no broadcasting inside a loop). A group grows through
    arguments that are read by nothing else (and are not outputs or guards)."""
    uses = {}
    for _, _, refs, _ in steps:
        for r in refs:
            if type(r) is int:
                uses[r] = uses.get(r, 0) + 1
    forms, group_of = {}, {}  # step index -> (form, args); output ref -> its group's indices
    for k, (impl, params, refs, ref) in enumerate(steps):
        info = meta.get(ref)
        if info is None or not info[0] or info[2] != _FLOAT64 or not info[3] or \
                int(np.prod(info[1])) < MIN_SIZE:
            continue
        form = _scalar_form(impl, params, refs)
        if form is None or not all(
                _fits(meta.get(r), info[1]) if type(r) is int else
                _scalar_constant(r.value) is not None for r in form[1]):
            continue
        forms[k] = form
        group = [k]
        for r in form[1]:
            if type(r) is int and r in group_of and uses.get(r) == 1 and r not in keep \
                    and r >= n_inputs:
                group = group_of.pop(r) + group
        group_of[ref] = sorted(group)
    fused_at, dropped = {}, set()
    for ref, group in group_of.items():
        if len(group) < MIN_STEPS or not available():
            continue
        members = [steps[k] for k in group]
        produced = {s[3] for s in members}
        inputs, names = [], {}
        exprs = {}
        for k in group:
            form, args = forms[k]
            texts = []
            for r in args:
                if type(r) is int and r in produced:
                    texts.append(exprs.pop(r))
                elif type(r) is int:
                    if r not in names:
                        names[r] = f"a{len(inputs)}[i]"
                        inputs.append(r)
                    texts.append(names[r])
                else:
                    texts.append(_scalar_constant(r.value))
            exprs[steps[k][3]] = form.format(*texts)
        fused_at[group[-1]] = Fused(members, inputs, ref, meta[ref][1], exprs[ref], replays)
        dropped.update(group[:-1])
    out = []
    for k, step in enumerate(steps):
        if k in dropped:
            continue
        f = fused_at.get(k)
        out.append(step if f is None else type(step)(f, {}, list(f.inputs), f.ref))
    return out
