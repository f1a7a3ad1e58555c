"""So the elder page can show payments without eligibility importing payouts (docs/architecture.md, Layering)."""

from __future__ import annotations

from typing import Any

from django import template

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def elder_payments(context: Any, elder: Any) -> list | None:
    """An elder's payment history for the current user; None when they may not see payroll lines."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("payouts.view_payrollline"):
        return None
    return selectors.elder_payments(user, elder)
