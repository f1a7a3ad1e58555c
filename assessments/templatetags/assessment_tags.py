"""Template tags so other apps' pages can show assessments without importing this app in Python
(eligibility's elder page includes ``assessments/_elder_assessments.html``)."""

from __future__ import annotations

from typing import Any

from django import template

from .. import selectors
from ..models import Status

register = template.Library()


@register.simple_tag(takes_context=True)
def elder_assessments(context: Any, elder: Any) -> dict[str, Any]:
    """History (newest 5), level trend and next due date of one elder, for the current user."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("assessments.view_assessment"):
        return {"visible": False}
    history = selectors.elder_history(user, elder)
    latest = next((a for a in history if a.status == Status.APPROVED and a.next_due_on), None)
    return {
        "visible": True,
        "history": history[:5],
        "trend": selectors.level_trend(history),
        "next_due_on": latest.next_due_on if latest else None,
    }


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def person(user: Any) -> str:
    """A user's display name (full name, else username); empty for none."""
    if user is None:
        return ""
    return user.get_full_name() or user.username
