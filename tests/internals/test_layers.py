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
