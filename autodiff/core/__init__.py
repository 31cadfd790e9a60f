"""The engine: tracers and `bind` (tracer.py), the primitive registry (primitive.py),
reverse mode on a tape (reverse.py) and forward mode on dual numbers (forward.py)."""
