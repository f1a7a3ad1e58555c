"""The facility list's filters (?q=, ?kind=) over the user's facilities (selectors.facility_list)."""

from __future__ import annotations

import django_filters
from django import forms

from core.filters import FilterSet

from .choices import FacilityKind
from .forms import StyledMixin


class FacilityFilterForm(StyledMixin, forms.Form):
    pass


class FacilityFilterSet(FilterSet):
    q = django_filters.CharFilter(label="名称", field_name="name", lookup_expr="contains")
    kind = django_filters.ChoiceFilter(label="类型", choices=FacilityKind.choices, empty_label="全部类型")

    class Meta:
        form = FacilityFilterForm
