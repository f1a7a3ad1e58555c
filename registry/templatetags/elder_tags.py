import re

from django import template
from django.utils import timezone

from registry import rules

register = template.Library()


@register.filter
def age_on(birth_date, today):
    """{{ elder.birth_date|age_on:today }} → whole years."""
    if not birth_date or not today:
        return ""
    return rules.age_on(birth_date, today)


def _may_see_full_id(context) -> bool:
    perms = context.get("perms")
    return bool(perms) and "registry.view_full_id_number" in perms


@register.simple_tag(takes_context=True)
def birth_date(context, value, fallback="mask"):
    """A birth date for the roles that may see full ID numbers; for everyone else the date is part of
    the ID they must not rebuild, so it shows as ``****-**-**`` (fallback="mask", where the age is on
    the page) or as the age (fallback="age")."""
    if not value:
        return ""
    if _may_see_full_id(context):
        return value.strftime("%Y-%m-%d")
    if fallback == "age":
        return f"{rules.age_on(value, timezone.localdate())}岁"
    return "****-**-**"


_LONG_NUMBER = re.compile(r"[0-9０-９Xx]{8,}")


@register.filter
def mask_long_numbers(value):
    """Any run of 8 or more digits in free text (an ID number or bank account quoted in an import
    error, even a mistyped one) masked like an ID number, for roles that may not see full IDs."""
    if value in (None, ""):
        return ""
    return _LONG_NUMBER.sub(lambda m: rules.mask_id_number(m.group()), str(value))


@register.filter
def masked_account(value):
    return rules.mask_bank_account(value)
