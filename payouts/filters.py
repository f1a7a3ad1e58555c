"""Filters of the payroll pages: the runs list (?status=) and a run's lines (benefit, township,
kind, status). They narrow querysets the views have already scoped to the user."""

from __future__ import annotations

import django_filters
from django import forms

from core.filters import FilterSet
from core.scoping import code_under_q
from eligibility.public import Benefit

from .models import PayrollLine, PayrollRun


class RunFilterSet(FilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=PayrollRun.Status.choices)


class LineFilterSet(FilterSet):
    benefit = django_filters.ModelChoiceFilter(
        label="项目", queryset=Benefit.objects.all(), empty_label="全部项目", to_field_name="code"
    )
    township = django_filters.CharFilter(label="乡镇(街道)代码", max_length=12, method="filter_township")
    kind = django_filters.ChoiceFilter(label="类型", choices=PayrollLine.Kind.choices, empty_label="全部类型")
    status = django_filters.ChoiceFilter(label="状态", choices=PayrollLine.Status.choices, empty_label="全部状态")

    class Meta:
        form = forms.Form  # the page shows the plain controls it always had

    def filter_township(self, queryset, name, value):
        return queryset.filter(code_under_q("region_code", value.rstrip("0")[:9]))
