"""What the tape keeps, read from the rules' bytecode (autodiff/core/residuals.py)."""
import numpy as np


def test_rules_reads_found_from_bytecode():
    from autodiff.core.residuals import parameter_reads, plan
    from autodiff.core.primitive import REGISTRY
    assert parameter_reads(lambda g, out, x, y: g * y) == {0: "value", 3: "value"}
    assert parameter_reads(lambda g, out, x: g.reshape(x.shape)) == {0: "value", 2: "shape"}
    assert parameter_reads(lambda g, out, x: [g * x for _ in range(2)])[2] == "value"  # closure
    assert parameter_reads(lambda *a: a) is None and parameter_reads(np.sin) is None
    # what a tape keeps, as (output dropped?, arguments dropped): d(x + y) nothing but shapes,
    # d(c * x) c, d(sum x) x's shape, d(exp x) exp x; d(x * y) both x and y
    assert plan(REGISTRY["add"], 0b11, 2, "vjp") == (True, (0, 1))
    assert plan(REGISTRY["multiply"], 0b10, 2, "vjp") == (True, (1,))
    assert plan(REGISTRY["sum"], 0b1, 1, "vjp") == (True, (0,))
    assert plan(REGISTRY["exp"], 0b1, 1, "vjp") == (False, (0,))
    assert plan(REGISTRY["multiply"], 0b11, 2, "vjp") == (True, ())
