"""Models of the eligibility app, split by concept (STYLE.md rule 12)."""

from .registry import Elder, ElderQuerySet, Household

__all__ = ["Elder", "ElderQuerySet", "Household"]
