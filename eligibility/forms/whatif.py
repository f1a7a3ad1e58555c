"""The what-if form (政策测算): which county, which change, the new amount / band / criteria."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django import forms

from regions.models import Region

from ..models import Benefit, BenefitRule
from ..policy import periods
from ..policy.catalogue import in_force_q
from ..policy.whatif import Draft, DraftError

KINDS = [
    ("amount", "调整现有档次金额"),
    ("band", "新增年龄档"),
    ("new_benefit", "新增项目（按条件）"),
]


class WhatIfForm(forms.Form):
    county = forms.ModelChoiceField(label="县(区)", queryset=Region.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label="测算内容", choices=KINDS, initial="amount")
    rule = forms.ModelChoiceField(label="现有档次", queryset=BenefitRule.objects.none(), required=False,
                                  help_text="调整金额时必选；新增年龄档时可选，用于复制其他条件")
    benefit = forms.ModelChoiceField(label="项目", queryset=Benefit.objects.filter(is_active=True), required=False,
                                     help_text="新增年龄档时必选")
    amount = forms.DecimalField(label="新金额（元/月）", min_value=Decimal("0"), max_digits=12, decimal_places=2,
                                required=True)
    age_min = forms.IntegerField(label="年龄下限（周岁，含）", min_value=0, max_value=150, required=False)
    age_max = forms.IntegerField(label="年龄上限（周岁，不含）", min_value=1, max_value=151, required=False)
    name = forms.CharField(label="新项目名称", max_length=60, required=False)
    criteria = forms.CharField(label="新项目条件（JSON）", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text='例如 {"age": {"min": 75}, "economic_status": ["dibao"]}，条件词汇见清单说明')
    period = forms.RegexField(label="测算所属期", regex=r"^\d{4}-\d{2}$", required=False, help_text="YYYY-MM，默认下月")

    def __init__(self, *args, user=None, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        counties = Region.objects.visible_to(user).filter(level=Region.Level.COUNTY).order_by("code")
        if not counties.exists():  # a township or village assignment: its county, still scoped below
            from core.scoping import area_prefixes

            prefixes = area_prefixes(user) or []
            counties = Region.objects.filter(level=Region.Level.COUNTY, code__in={p[:6] + "000000" for p in prefixes})
        self.fields["county"].queryset = counties
        coming = periods.coming_period(today or dt.date.today())
        self.fields["rule"].queryset = (
            BenefitRule.objects.filter(in_force_q(coming)).select_related("benefit", "jurisdiction")
            .order_by("benefit__code", "jurisdiction__code", "amount")
        )
        self.today = today

    def clean_criteria(self):
        text = (self.cleaned_data.get("criteria") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"条件不是合法的 JSON：{exc.msg}（第{exc.lineno}行）") from exc
        return value

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == "amount" and not data.get("rule"):
            self.add_error("rule", "请选择要调整的档次")
        if kind == "band":
            if not data.get("benefit"):
                self.add_error("benefit", "请选择项目")
            if data.get("age_min") is None and data.get("age_max") is None:
                self.add_error("age_min", "请填写年龄下限或上限")
        if kind == "new_benefit" and not data.get("criteria"):
            self.add_error("criteria", "请填写新项目的条件")
        if not self.errors:
            try:
                data["draft"] = self.build_draft(data)
            except DraftError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data

    def build_draft(self, data) -> Draft:
        county = data["county"]
        if data["kind"] == "amount":
            return Draft.amount(data["rule"], data["amount"])
        if data["kind"] == "band":
            like = data.get("rule")
            if like is not None and like.benefit_id != data["benefit"].pk:
                raise DraftError("所选档次不属于所选项目")
            return Draft.band(data["benefit"], county=county, age_min=data.get("age_min"), age_max=data.get("age_max"),
                              amount=data["amount"], like=like)
        return Draft.new_benefit(name=data.get("name") or "", county=county, criteria=data["criteria"],
                                 amount=data["amount"])

    def chosen_period(self):
        text = self.cleaned_data.get("period")
        return periods.parse_period(text) if text else None

