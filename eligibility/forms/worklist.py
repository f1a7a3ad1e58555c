"""Forms of the worklist (服务找人): filters and the bulk decision."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Q

from core.filters import FilterSet
from regions.models import Region

from ..models import Benefit, Enrolment
from ..policy import periods
from ..policy.selectors import TABS


class PeriodField(forms.CharField):
    """所属期 as 年-月 (2026-11) → the month's first day; anything else, or a month that does not
    exist (2026-13), is a form error rather than a failing page."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return text
        try:
            if not re.fullmatch(r"\d{4}-\d{2}", text):
                raise ValueError(text)
            return periods.parse_period(text)
        except ValueError:
            raise forms.ValidationError("所属期请按 年-月 填写，例如 2026-11", code="invalid") from None


class PeriodFilter(django_filters.Filter):
    field_class = PeriodField


class WorklistFilterSet(FilterSet):
    """The worklist's and the enrolment export's filters, over the scoped enrolments of a tab
    (policy.selectors.worklist / enrolment_list). ``tab`` chooses the selector (the view reads it);
    an invalid value of any field filters nothing and shows the first tab, as before."""

    tab = django_filters.ChoiceFilter(label="列表", choices=list(TABS.items()), empty_label=None, method="by_selector")
    benefit = django_filters.ChoiceFilter(label="项目", field_name="benefit__code", empty_label="全部项目", choices=[])
    village = django_filters.ChoiceFilter(label="村(社区)", field_name="region_code", empty_label="全部村(社区)", choices=[])
    status = django_filters.ChoiceFilter(label="状态", choices=Enrolment.Status.choices, empty_label="全部")
    period = PeriodFilter(label="所属期", method="filter_period")

    class Meta:
        form = forms.Form  # the page shows the plain controls it always had

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.form.fields
        fields["benefit"].choices = list(Benefit.objects.order_by("code").values_list("code", "name"))
        villages = Region.objects.visible_to(user).filter(level=Region.Level.VILLAGE).order_by("code")
        fields["village"].choices = [(r.code, r.name) for r in villages[:500]]
        fields["tab"].required = False

    def by_selector(self, queryset, name, value):
        return queryset

    def filter_period(self, queryset, name, value):
        return queryset.filter(Q(start_period__lte=value) | Q(start_period__isnull=True)).filter(
            Q(end_period__isnull=True) | Q(end_period__gte=value)
        )


class DecisionForm(forms.Form):
    action = forms.ChoiceField(label="操作", choices=[("approve", "批准"), ("reject", "驳回"), ("stop", "停发")])
    ids = forms.TypedMultipleChoiceField(label="所选记录", coerce=int, required=True)
    note = forms.CharField(label="理由", max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": "驳回、停发必须填写理由"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in raw if str(v).isdigit()]
        self.fields["ids"].error_messages["required"] = "请至少选择一条记录"

    def clean(self):
        data = super().clean()
        if data.get("action") in ("reject", "stop") and not (data.get("note") or "").strip():
            self.add_error("note", "驳回、停发必须填写理由")
        return data
