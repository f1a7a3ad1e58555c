"""The referral list's filters (?status=open|closed, ?risk=high) over the area's follow-ups.
Open ones unless asked otherwise; an unknown value is ignored, as before."""

from __future__ import annotations

import django_filters

from core.filters import FilterSet

from .models import FollowUp
from .selectors import high_risk_q


class FollowUpFilterSet(FilterSet):
    lenient = True
    status = django_filters.ChoiceFilter(label="状态", choices=FollowUp.Status.choices)
    risk = django_filters.ChoiceFilter(label="风险", choices=[("high", "仅高风险")], method="filter_risk")

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset if self.value("status") else queryset.filter(status=FollowUp.Status.OPEN)

    def filter_risk(self, queryset, name, value):
        return queryset.filter(high_risk_q())
