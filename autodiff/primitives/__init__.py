"""The built-in primitives, one module per kind, each primitive one `declare` call
(declaration.py). Importing this package registers them all."""
from . import declaration, shape, reductions, broadcasting, elementwise, products, linalg

# the declarations' wrappers apply primitives of these modules (see declaration.py)
declaration.S, declaration.B, declaration.E = shape, broadcasting, elementwise
