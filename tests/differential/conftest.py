"""The random programs' arrays are small (at most a few dozen elements), below the size from
which a partial is kept as Scaled(c, a) (a performance threshold, declaration.py): the suite
lowers it so that its programs go through scaled partials' VJPs, which the rest of the test
suite meets only in tests/internals/test_scaled_partials.py."""
import pytest

import autodiff.primitives.declaration as declaration


@pytest.fixture(autouse=True)
def scaled_partials_at_every_size(monkeypatch):
    monkeypatch.setattr(declaration, "_SCALED_MIN_SIZE", 1)
