"""``{% page_query number %}``: the current query string (the list's filters) with another page number."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, number: int, param: str = "page") -> str:
    """``?<filters>&page=<number>``: the filters first, so a bookmark of any page keeps them."""
    query = context["request"].GET.copy()
    query.pop(param, None)
    query[param] = str(number)
    return "?" + query.urlencode()
