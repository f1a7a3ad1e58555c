"""The staff lists' filters: django-filter FilterSets over a queryset that is already scoped.

A list view scopes first (``.visible_to(user)``, docs/contributing.md rule 2) and hands the scoped
queryset to its FilterSet, never the other way round, so a filter can only narrow what the user may
see. Query-string names are the lists' parameter names, which bookmarks and links use.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet


class StyledFilterForm(forms.Form):
    """Bootstrap's small controls on every filter widget, as the hand-written filter forms had."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)


class FilterSet(django_filters.FilterSet):
    """A FilterSet that filters whether or not a query string was given, and ignores every filter
    of an invalid form (the form keeps its Chinese error), as the lists did before django-filter
    (``lenient``: only the invalid one).

    Subclasses read the cleaned values through :meth:`value` when a filter needs a default (the
    elder list shows living elders unless asked otherwise).
    """

    # True: an invalid value drops only its own filter (for lists whose links set one parameter each).
    lenient = False

    class Meta:
        form = StyledFilterForm

    @property
    def cleaned(self) -> dict[str, Any]:
        if not self.is_bound or not (self.form.is_valid() or self.lenient):
            return {}
        return self.form.cleaned_data

    def value(self, name: str, default: Any = "") -> Any:
        return self.cleaned.get(name) or default

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        for name, value in self.cleaned.items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def qs(self) -> QuerySet:
        if not hasattr(self, "_qs"):
            self._qs = self.filter_queryset(self.queryset.all())
        return self._qs
