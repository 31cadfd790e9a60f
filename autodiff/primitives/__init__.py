"""The built-in primitives, one module per kind, each primitive one `declare` call
(declaration.py). Importing this package imports every module in it, so registers them all: a
new module needs no registration elsewhere."""
import importlib
import pkgutil

from . import declaration, shape, broadcasting, elementwise, complex as _complex

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

# the declarations' wrappers apply primitives of these modules (see declaration.py)
declaration.S, declaration.B, declaration.E = shape, broadcasting, elementwise
declaration.C = elementwise._C = _complex
