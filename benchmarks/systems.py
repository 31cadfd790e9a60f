"""Adapters: how each system computes f, grad, hvp and hessian of a workload. A system whose
package is not installed is simply absent."""
import numpy as np


class System:
    name = ""
    xp = None

    def convert(self, a):
        return a

    def ops(self, f, x, v):
        """{op name: zero-argument callable returning a result to block on}."""
        raise NotImplementedError

    def block(self, r):
        return r


class NumPy(System):
    name = "numpy"
    xp = np

    def ops(self, f, x, v):
        return {"f": lambda: f(x)}


class Autodiff(System):
    name = "autodiff"
    xp = np

    def __init__(self):
        import autodiff
        self.ad = autodiff

    def ops(self, f, x, v):
        ad = self.ad
        g, h = ad.grad(f), ad.hessian(f)
        recorded = ad.hvp_fn(f, x)  # the gradient recorded once, as Newton-CG / Lanczos use it
        return {"f": lambda: f(x), "grad": lambda: g(x), "hvp": lambda: ad.hvp(f, x, v),
                "hvp (recorded)": lambda: recorded(v), "hessian": lambda: h(x)}


class AutodiffPlain(Autodiff):
    """autodiff with every speed shortcut off (ad.shortcuts.disabled()): what they buy."""
    name = "autodiff-plain"

    def ops(self, f, x, v):
        with self.ad.shortcuts.disabled():  # the recorded hvp_fn is made in plain mode too
            ops = super().ops(f, x, v)
        return {op: self._plain(fn) for op, fn in ops.items()}

    def _plain(self, fn):
        def run():
            with self.ad.shortcuts.disabled():
                return fn()
        return run


class AutodiffJit(Autodiff):
    """autodiff's derivatives staged by ad.jit (recorded once, replayed as plain NumPy); the
    "(record)" ops time a first call (a fresh ad.jit each time: recording included)."""
    name = "autodiff-jit"

    def ops(self, f, x, v):
        ad = self.ad
        from autodiff import staging_fusion as fusion
        fns = {"grad": (ad.grad(f), (x,)), "hvp": (lambda x, v: ad.hvp(f, x, v), (x, v)),
               "hessian": (ad.hessian(f), (x,))}
        ops = {"f": lambda: f(x)}
        for op, (fn, args) in fns.items():
            ops[op] = _warmed(ad.jit(fn), args, fusion.WARMUP + 2)
            ops[op + " (record)"] = lambda fn=fn, args=args: ad.jit(fn)(*args)
            ops[op + " (unstaged)"] = lambda fn=fn, args=args: fn(*args)
        if hasattr(f, "with_data"):  # the first call again, the data passed as arguments
            loss, data = f.with_data  # (not closed over: not copied, not checked at each use)
            fns = {"grad": (ad.grad(loss), (x,) + data),
                   "hvp": (lambda x, v, *d: ad.hvp(lambda w: loss(w, *d), x, v), (x, v) + data)}
            for op, (fn, args) in fns.items():
                ops[op + " (record, data as arguments)"] = \
                    lambda fn=fn, args=args: ad.jit(fn)(*args)
        return ops


def _warmed(jitted, args, calls):
    """jitted(*args), whose first call makes `calls` calls: the recording, then the replays
    after which fused steps are compiled (once), so that timings are of the steady replay."""
    warm = []

    def run():
        if not warm:
            for _ in range(calls):
                jitted(*args)
            warm.append(True)
        return jitted(*args)
    return run


class Autograd(System):
    name = "autograd"

    def __init__(self):
        import autograd
        import autograd.numpy as anp
        self.ag, self.xp = autograd, anp

    def ops(self, f, x, v):
        ag = self.ag
        g, h = ag.grad(f), ag.hessian(f)
        hvp = ag.hessian_vector_product(f)
        return {"f": lambda: f(x), "grad": lambda: g(x), "hvp": lambda: hvp(x, v),
                "hessian": lambda: h(x)}


class Jax(System):
    def __init__(self, jit):
        import jax
        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_platforms", "cpu")
        import jax.numpy as jnp
        self.jax, self.xp, self.jit = jax, jnp, jit
        self.name = "jax-jit" if jit else "jax-eager"

    def convert(self, a):
        return self.xp.asarray(a)

    def block(self, r):
        return self.jax.block_until_ready(r)

    def ops(self, f, x, v):
        jax = self.jax
        wrap = jax.jit if self.jit else (lambda fn: fn)
        g, h = wrap(jax.grad(f)), wrap(jax.hessian(f))
        hvp = wrap(lambda x, v: jax.jvp(jax.grad(f), (x,), (v,))[1])
        ff = wrap(f)
        return {"f": lambda: ff(x), "grad": lambda: g(x), "hvp": lambda: hvp(x, v),
                "hessian": lambda: h(x)}


class TorchFunc(System):
    name = "torch.func"

    def __init__(self):
        import torch
        torch.set_num_threads(1)
        self.torch, self.xp = torch, _TorchNamespace(torch)

    def convert(self, a):
        return self.torch.as_tensor(np.asarray(a, dtype=np.float64))

    def ops(self, f, x, v):
        tf = self.torch.func
        g, h = tf.grad(f), tf.hessian(f)
        return {"f": lambda: f(x), "grad": lambda: g(x),
                "hvp": lambda: tf.jvp(tf.grad(f), (x,), (v,))[1], "hessian": lambda: h(x)}


class _TorchNamespace:
    """The few NumPy names the workloads use, on torch tensors."""

    def __init__(self, torch):
        self.sum, self.mean, self.tanh, self.sin = torch.sum, torch.mean, torch.tanh, torch.sin
        self.logaddexp = lambda a, b: torch.logaddexp(torch.as_tensor(a, dtype=b.dtype), b)


def available(names=None):
    makers = {"numpy": NumPy, "autodiff": Autodiff, "autodiff-plain": AutodiffPlain,
              "autodiff-jit": AutodiffJit,
              "autograd": Autograd,
              "jax-eager": lambda: Jax(False), "jax-jit": lambda: Jax(True),
              "torch.func": TorchFunc}
    systems, missing = [], []
    for name, make in makers.items():
        if names and name not in names:
            continue
        try:
            systems.append(make())
        except ImportError:
            missing.append(name)
    return systems, missing
