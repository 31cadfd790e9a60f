"""The primitives, one module per family. Importing this package registers them all."""
from . import shape, reductions, elementwise, products, linalg  # noqa: F401
from ..core.primitive import REGISTRY  # noqa: F401
