"""tests/api: the public API only (import autodiff as ad, autodiff.numpy, the documented
submodules). tests/internals: the registry, the tape's internals, private names. tests/differential:
random programs against an oracle. This folder is on sys.path (pytest's default import mode adds
the folder of a conftest.py), so both can import the shared helpers `cases` and `colorings`."""
import os

import pytest
from hypothesis import HealthCheck, settings

# Quick by default; HYPOTHESIS_PROFILE=thorough for many more examples.
# Under CI the quick profile is derandomized: the same examples on every run, so a landing is
# never decided by which random programs were drawn (local runs and `thorough` explore anew).
settings.register_profile("quick", max_examples=25, deadline=None,
                          derandomize=bool(os.environ.get("CI")),
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


@pytest.fixture(autouse=True)
def forget_user_primitives():
    """Primitives a test registers are removed after it, so no test sees another's."""
    import autodiff  # noqa: F401  (the built-ins are registered before the snapshot)
    from autodiff.core.primitive import REGISTRY
    before = set(REGISTRY)
    yield
    for name in set(REGISTRY) - before:
        del REGISTRY[name]
