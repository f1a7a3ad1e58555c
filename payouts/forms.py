from __future__ import annotations

import re

from django import forms

from core.scoping import counties_covered_q, filter_for_area
from eligibility.public import Benefit
from regions.models import Region


class GenerateForm(forms.Form):
    county = forms.ModelChoiceField(label="县(区)", queryset=Region.objects.none())
    period = forms.CharField(label="所属期", help_text="YYYY-MM", max_length=7)
    benefits = forms.ModelMultipleChoiceField(
        label="只发放这些项目（不选为全部按月及一次性发放项目）", required=False,
        queryset=Benefit.objects.filter(is_active=True, payment_kind__in=[Benefit.PaymentKind.MONTHLY, Benefit.PaymentKind.ONE_OFF]),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        counties = filter_for_area(Region.objects.filter(level=Region.Level.COUNTY), user,
                                   lambda prefixes: counties_covered_q("code", prefixes))
        self.fields["county"].queryset = counties.order_by("code")

    def clean_period(self):
        value = self.cleaned_data["period"].strip()
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
            raise forms.ValidationError("所属期格式应为 YYYY-MM，如 2026-12")
        return value


class ReconcileForm(forms.Form):
    file = forms.FileField(label="银行回盘文件（.csv 或 .xlsx）")
    mode = forms.ChoiceField(
        label="遇到问题行时", choices=[("skip", "只导入无问题的行"), ("strict", "严格：有任何问题行则全部不导入")],
        initial="skip", required=False, widget=forms.RadioSelect,
    )

    def clean_mode(self):
        return self.cleaned_data.get("mode") or "skip"

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("只接受 .csv 或 .xlsx 文件")
        return f
