"""Pure rules of the payroll: the state machine, account plausibility, neutralising spreadsheet cells.

No ORM here (docs/contributing.md rule 3); hypothesis-tested in tests/payouts/test_rules.py.
"""

from __future__ import annotations

import re
from decimal import Decimal

DRAFT, SUBMITTED, APPROVED, EXPORTED, RECONCILED, CLOSED = (
    "draft", "submitted", "approved", "exported", "reconciled", "closed",
)

# (from, to) → the model permission the acting user needs. Anything else is not a transition.
TRANSITIONS: dict[tuple[str, str], str] = {
    (DRAFT, SUBMITTED): "payouts.submit_payrollrun",
    (SUBMITTED, DRAFT): "payouts.approve_payrollrun",  # 退回: the reviewer sends it back
    (SUBMITTED, APPROVED): "payouts.approve_payrollrun",
    (APPROVED, EXPORTED): "payouts.export_payrollrun",
    (EXPORTED, RECONCILED): "payouts.reconcile_payrollrun",
    (RECONCILED, CLOSED): "payouts.reconcile_payrollrun",
}

STATUS_LABELS = {
    DRAFT: "草稿", SUBMITTED: "已提交", APPROVED: "已审核", EXPORTED: "已导出", RECONCILED: "已对账", CLOSED: "已关闭",
}

EXPORTABLE = (APPROVED, EXPORTED, RECONCILED, CLOSED)
PAID_OUT = (EXPORTED, RECONCILED, CLOSED)  # the bank has the file: lines in these runs count as paid out


def transition_permission(current: str, target: str) -> str | None:
    """The permission a transition needs, or None if the state machine has no such edge."""
    return TRANSITIONS.get((current, target))


def four_eyes_ok(submitted_by_id: int | None, approver_id: int | None) -> bool:
    """双人复核: approval by someone who did not submit the run."""
    return approver_id is not None and submitted_by_id is not None and submitted_by_id != approver_id


BANK_ACCOUNT_MIN, BANK_ACCOUNT_MAX = 12, 30
BANK_ACCOUNT_RE = rf"^[0-9]{{{BANK_ACCOUNT_MIN},{BANK_ACCOUNT_MAX}}}$"
# The same test in SQL as length bounds plus "any non-digit": PostgreSQL's regex engine needs ~10 µs
# per row for the bounded repetition above, ~1 µs for a one-character class (measured on 1M lines).
NON_DIGIT_RE = r"[^0-9]"
_BANK_ACCOUNT = re.compile(BANK_ACCOUNT_RE)


def bank_account_ok(account: str) -> bool:
    """A plausible account number: 12–30 ASCII digits (bank cards are 16–19, 社保卡 accounts longer)."""
    return bool(_BANK_ACCOUNT.match(account or ""))


def amount_changed_too_much(previous: Decimal, current: Decimal, factor: Decimal) -> bool:
    """True when ``current`` is more than ``factor`` times, or less than 1/``factor`` of, ``previous``."""
    if previous <= 0 or current <= 0:
        return False
    return current > previous * factor or current * factor < previous


def mask_account(account: str) -> str:
    """6222021234567890123 → 6222***********0123."""
    if len(account) <= 8:
        return "*" * len(account)
    return account[:4] + "*" * (len(account) - 8) + account[-4:]
