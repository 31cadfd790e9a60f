import os

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
