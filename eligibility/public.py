"""What other apps may use of the policy engine (docs/architecture.md): its models, the worklist
counts of the home page, the sweep, the criteria compiler and validator (visits' rules use the same
vocabulary), the payable enrolments payroll pays (``payable_enrolments``: who is paid what in a county
and month), and the 「重新运行」 of a failed run. Import these from here, never from the modules
behind them; models in foreign keys are named by string ("eligibility.Enrolment")."""

from .models import Benefit, BenefitRule, Enrolment, EnrolmentEvent, PolicyParameter, SweepRun
from .policy.compiler import compile_criteria
from .policy.payable import payable_enrolments
from .policy.selectors import worklist_counts
from .policy.sweep import counties_with_elders, sweep, sweep_county
from .policy.vocabulary import CriteriaError, validate as validate_criteria
from .retry import sweep_retry

__all__ = [
    "Benefit", "BenefitRule", "Enrolment", "EnrolmentEvent", "PolicyParameter", "SweepRun",
    "compile_criteria", "payable_enrolments", "worklist_counts",
    "counties_with_elders", "sweep", "sweep_county",
    "CriteriaError", "validate_criteria",
    "sweep_retry",
]
