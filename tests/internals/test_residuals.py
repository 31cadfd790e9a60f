"""What the tape keeps: what the rules name (autodiff/primitives/declaration.py, core/residuals.py)."""
import pytest


def test_what_rules_read_is_what_they_name():
    from autodiff.core.residuals import plan
    from autodiff.core.primitive import REGISTRY
    from autodiff.primitives.declaration import Rule
    args = ("x", "y")
    assert Rule(lambda g, y: g * y, "p", args, ()).reads(2) == (None, (None, "value"))
    assert Rule(lambda g, x_shape, out: g, "p", args, ()).reads(2) == ("value", ("shape", None))
    with pytest.raises(TypeError, match="a rule names each value it reads"):
        Rule(lambda g, *a: g, "p", args, ())
    # what a tape keeps, as (output dropped?, arguments dropped): d(x + y) nothing but shapes,
    # d(c * x) c, d(sum x) x's shape, d(exp x) exp x; d(x * y) both x and y
    assert plan(REGISTRY["add"], 0b11, 2, "vjp") == (True, (0, 1))
    assert plan(REGISTRY["multiply"], 0b10, 2, "vjp") == (True, (1,))
    assert plan(REGISTRY["sum"], 0b1, 1, "vjp") == (True, (0,))
    assert plan(REGISTRY["exp"], 0b1, 1, "vjp") == (False, (0,))
    assert plan(REGISTRY["multiply"], 0b11, 2, "vjp") == (True, ())
