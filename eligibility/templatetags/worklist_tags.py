"""Template tags of the worklist: the count in the navigation and an elder's enrolments."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def worklist_count(context) -> int:
    """Open candidates plus review items in the user's area (the badge beside 服务找人)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("eligibility.view_enrolment"):
        return 0
    from eligibility.policy.selectors import worklist_counts

    return sum(worklist_counts(user).values())


@register.simple_tag(takes_context=True)
def elder_enrolments(context, elder):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("eligibility.view_enrolment"):
        return None
    from eligibility.policy.selectors import enrolments_for_elder

    return enrolments_for_elder(user=user, elder=elder)
