"""The policy engine's public module: what other apps may use of ``eligibility`` (docs/architecture.md).

Payroll (``payouts``) imports the engine only from here: the payable enrolments of a benefit in a
county and month with their amounts, and the models its lines point at.
"""

from __future__ import annotations

from .models import Benefit, Elder, Enrolment
from .policy.payable import payable_enrolments

__all__ = ["Benefit", "Elder", "Enrolment", "payable_enrolments"]
