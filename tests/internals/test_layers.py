"""The package's layering, checked on the source: the core (tracers, tapes, dual numbers, the
primitive contract) imports nothing from the rest of autodiff, and nothing reads bytecode."""
import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "autodiff"


def _imports(path):
    """(module, level) of every import statement in a file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


def test_core_imports_nothing_from_the_rest_of_the_package():
    core = sorted((PACKAGE / "core").glob("*.py"))
    assert core
    outside = [(path.name, module, level) for path in core for module, level in _imports(path)
               if level > 1 or module.split(".")[0] == "autodiff"]
    assert outside == []


def test_no_module_reads_bytecode():
    readers = [(str(path.relative_to(PACKAGE)), module) for path in PACKAGE.rglob("*.py")
               for module, _ in _imports(path) if module.split(".")[0] in ("dis", "opcode")]
    assert readers == []
    assert not [p for p in PACKAGE.rglob("*.py") if "__code__" in p.read_text(encoding="utf-8")]


def test_tracers_and_the_operations_table_have_no_getattr_hook():
    """Python specializes attribute reads (x.value, ops.multiply: several per operation) only
    on classes without __getattr__: a hook made every operation ~7% slower once. Array methods
    are set on the class instead, and an unfilled table entry names the missing layer."""
    import numpy as np
    import pytest
    import autodiff as ad
    from autodiff.core import tracer
    from autodiff.core.forward import Dual
    from autodiff.core.reverse import Node
    from autodiff.staging import Staged
    for cls in (tracer.Tracer, Dual, Node, Staged, tracer.Operations):
        assert not any("__getattr__" in vars(k) for k in cls.__mro__ if k is not object), cls
    assert ad.grad(lambda x: x.sum() * x.reshape(2, 2).T.mean())(np.ones(4)).tolist() == [2.0] * 4
    with pytest.raises(AttributeError, match="no attribute 'frobnicate'"):
        ad.grad(lambda x: x.frobnicate())(np.ones(3))
    empty = tracer.Operations()
    with pytest.raises(NotImplementedError, match="autodiff.numpy"):
        empty.multiply(1.0, 2.0)
    with pytest.raises(NotImplementedError, match="autodiff.numpy"):
        empty.multiply.impl
