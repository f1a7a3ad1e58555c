"""Pure payroll rules: the state machine, four eyes, accounts (the formula neutraliser is imports.reports)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from imports.reports import neutralise
from payouts import rules


def test_the_state_machine_only_moves_forward_except_a_return_to_draft():
    order = ["draft", "submitted", "approved", "exported", "reconciled", "closed"]
    for (a, b) in rules.TRANSITIONS:
        assert order.index(b) == order.index(a) + 1 or (a, b) == ("submitted", "draft")
    assert rules.transition_permission("draft", "approved") is None
    assert rules.transition_permission("submitted", "approved") == "payouts.approve_payrollrun"


@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_four_eyes_means_two_different_people(a, b):
    assert rules.four_eyes_ok(a, b) == (a != b)
    assert not rules.four_eyes_ok(None, b)


@given(st.text())
def test_a_neutralised_cell_never_starts_a_formula(text):
    out = neutralise(text)
    assert not str(out).startswith(("=", "+", "-", "@", "\t", "\r", "\0", "＝", "＋", "－", "＠"))
    assert str(out).endswith(text.replace("\0", ""))  # NUL never reaches a spreadsheet


@given(st.from_regex(r"[0-9]{12,30}", fullmatch=True))
def test_digit_accounts_of_usual_length_are_plausible(account):
    assert rules.bank_account_ok(account)
    assert not rules.bank_account_ok(account + "x")


@given(st.decimals(min_value=1, max_value=10**5, places=2), st.decimals(min_value=1, max_value=10**5, places=2))
def test_the_amount_jump_check_is_symmetric(a, b):
    factor = Decimal("2")
    assert rules.amount_changed_too_much(a, b, factor) == rules.amount_changed_too_much(b, a, factor)


def test_masking_an_account_keeps_its_ends():
    assert rules.mask_account("6222020200012345678") == "6222***********5678"
