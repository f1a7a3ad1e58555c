from django import template

from eligibility import rules

register = template.Library()


@register.filter
def age_on(birth_date, today):
    """{{ elder.birth_date|age_on:today }} → whole years."""
    if not birth_date or not today:
        return ""
    return rules.age_on(birth_date, today)


@register.filter
def masked_account(value):
    return rules.mask_bank_account(value)
