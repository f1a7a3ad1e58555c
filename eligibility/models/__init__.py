"""Models of the eligibility app, split by concept (docs/contributing.md rule 12)."""

from .registry import Elder, ElderQuerySet, Household
from .catalogue import Benefit, BenefitRule, PolicyParameter  # noqa: E402,I001
from .enrolment import Enrolment, EnrolmentEvent, EnrolmentQuerySet, SweepRun  # noqa: E402,I001
from .scratch import SweepDecision  # noqa: E402,I001

__all__ = ["Elder", "ElderQuerySet", "Household"]
__all__ += ["Benefit", "BenefitRule", "PolicyParameter", "Enrolment", "EnrolmentEvent", "EnrolmentQuerySet", "SweepRun"]
__all__ += ["SweepDecision"]
