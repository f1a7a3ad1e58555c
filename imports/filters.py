"""The batch list's filter (?status=): a status, or ``errors`` — what needs the uploader (the home
page's 批量导入有错误 links there). An unknown value narrows nothing, as before."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from core.filters import FilterSet

from .selectors import ERRORS, STATUS_FILTERS, with_errors_q


class BatchFilterSet(FilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=list(STATUS_FILTERS.items()), method="filter_status")

    def filter_status(self, queryset, name, value):
        return queryset.filter(with_errors_q() if value == ERRORS else Q(status=value))
