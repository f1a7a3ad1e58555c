"""Admin of the policy engine: catalogue, enrolments and sweep runs (elders and households: registry/admin.py)."""

from . import catalogue  # noqa: F401
