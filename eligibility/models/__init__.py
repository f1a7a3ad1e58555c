"""Models of the policy engine, split by concept (docs/contributing.md rule 12). Elders and households
are the registry's (registry.public)."""

from .catalogue import Benefit, BenefitRule, PolicyParameter
from .enrolment import Enrolment, EnrolmentEvent, EnrolmentQuerySet, SweepRun
from .scratch import SweepDecision

__all__ = ["Benefit", "BenefitRule", "PolicyParameter", "Enrolment", "EnrolmentEvent", "EnrolmentQuerySet", "SweepRun"]
__all__ += ["SweepDecision"]
