import numpy as np, autodiff as ad, sys
from concurrent.futures import ProcessPoolExecutor
def f(x): return np.sum(np.sin(x) ** 2 * np.cos(x[::-1])) + np.sum(x[:-1] * x[1:] ** 3)
x = np.linspace(0.1, 2, 300)
H = ad.hessian(f, chunk_size=64)(x)
print("dask" in sys.modules)
with ProcessPoolExecutor(2) as ex:
    H2 = ad.hessian(f, chunk_size=64, executor=ex)(x)
    print(np.array_equal(H, H2))
    g = lambda x: np.tanh(np.outer(x, x[:50])).ravel()
    J = ad.jacrev(g)(x[:60]); J2 = ad.jacrev(g, executor=ex)(x[:60])
    print(J.shape, np.array_equal(J, J2))
    J = ad.jacfwd(g, chunk_size=7)(x[:60]); J2 = ad.jacfwd(g, chunk_size=7, executor=ex)(x[:60])
    print(np.array_equal(J, J2))
