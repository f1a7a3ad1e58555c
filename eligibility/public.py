"""What other apps may use of the policy engine (docs/architecture.md): its models, the period
helpers, the sweep and its Celery tasks, the catalogue and compiler that payroll and visits read,
and the advisory-lock helpers. Import these from here, never from the modules behind them; models
in foreign keys are named by string ("eligibility.Enrolment")."""

from .models import Benefit, BenefitRule, Enrolment, EnrolmentEvent, PolicyParameter, SweepRun
from .policy import periods
from .policy.catalogue import AppliedRule, applicable_rules
from .policy.compiler import compile_criteria, population_q
from .policy.periods import parse_period
from .policy.selectors import worklist_counts
from .policy.sweep import counties_with_elders, county_code12, sweep, sweep_county
from .policy.vocabulary import CriteriaError, validate as validate_criteria
from .retry import sweep_retry
from .tasks import mark_interrupted, sweep_county as sweep_county_task

__all__ = [
    "Benefit", "BenefitRule", "Enrolment", "EnrolmentEvent", "PolicyParameter", "SweepRun",
    "periods", "parse_period",
    "AppliedRule", "applicable_rules", "compile_criteria", "population_q",
    "worklist_counts",
    "counties_with_elders", "county_code12", "sweep", "sweep_county",
    "CriteriaError", "validate_criteria",
    "mark_interrupted", "sweep_county_task", "sweep_retry",
]
