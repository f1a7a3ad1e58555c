"""Forms of visits and care. The visit form is built for a phone: big radio/checkbox groups."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from regions.models import Region

from .models import FollowUp, Mode, RiskLevel, VisitorKind

PEOPLE = [("self", "老人本人"), ("spouse", "配偶"), ("children", "子女"), ("relatives", "其他亲属"),
          ("neighbour", "邻居"), ("cadre", "村(社区)干部")]

# The five content areas of a visit (docs/domain.md §7, 唐山海港区 2025): quick checklists of findings.
CONTENT_AREAS = {
    "health": ("身体健康", [("ok", "精神状态好"), ("ill", "患病/身体不适"), ("mobility", "行动不便"),
                            ("mental", "情绪低落/认知异常"), ("medication", "用药有困难")]),
    "economy": ("经济状况", [("ok", "生活无困难"), ("hardship", "生活有困难"), ("benefits_missing", "应享未享待遇")]),
    "family": ("家庭赡养", [("ok", "赡养人尽责"), ("absent", "子女长期不在身边"), ("neglect", "赡养义务未履行")]),
    "safety": ("居家安全", [("ok", "无安全隐患"), ("house", "房屋"), ("water", "用水"), ("electricity", "用电"),
                            ("gas", "燃气"), ("heating", "取暖")]),
    "needs": ("服务需求", [("none", "暂无需求"), ("daily_care", "生活照料"), ("rehab", "康复护理"),
                          ("emotional", "精神慰藉"), ("adaptation", "适老化改造"), ("meals", "助餐")]),
}


class VisitRecordForm(forms.Form):
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    mode = forms.ChoiceField(label="探访方式", choices=Mode.choices, widget=forms.RadioSelect)
    visited_at = forms.DateTimeField(
        label="探访时间", input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control form-control-lg"}, format="%Y-%m-%dT%H:%M"),
    )
    people_present = forms.MultipleChoiceField(label="在场人员", choices=PEOPLE, required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label="情况记录", required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))
    risk_level = forms.ChoiceField(label="风险等级", choices=RiskLevel.choices, initial=RiskLevel.LOW, widget=forms.RadioSelect)
    referrals = forms.MultipleChoiceField(label="需要转介", choices=FollowUp.Kind.choices, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    referral_note = forms.CharField(label="转介说明", required=False, max_length=300,
                                    widget=forms.TextInput(attrs={"class": "form-control"}))

    def __init__(self, *args, allowed_modes=None, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("idempotency_key", uuid.uuid4())
        kwargs["initial"].setdefault("visited_at", timezone.localtime().replace(second=0, microsecond=0))
        super().__init__(*args, **kwargs)
        if allowed_modes:
            self.fields["mode"].choices = [(v, label) for v, label in Mode.choices if v in allowed_modes]
            if len(allowed_modes) == 1 or Mode.HOME in allowed_modes:
                self.fields["mode"].initial = Mode.HOME if Mode.HOME in allowed_modes else allowed_modes[0]
        for key, (label, choices) in CONTENT_AREAS.items():
            self.fields[f"area_{key}"] = forms.MultipleChoiceField(
                label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
            )

    def area_fields(self):
        return [self[f"area_{key}"] for key in CONTENT_AREAS]

    def checklists(self) -> dict[str, list[str]]:
        return {key: self.cleaned_data.get(f"area_{key}") or [] for key in CONTENT_AREAS}


class BulkAssignForm(forms.Form):
    village = forms.ModelChoiceField(label="村(社区)", queryset=Region.objects.none(),
                                     widget=forms.Select(attrs={"class": "form-select"}))
    visitor = forms.ModelChoiceField(label="探访人", queryset=get_user_model().objects.none(),
                                     widget=forms.Select(attrs={"class": "form-select"}))
    kind = forms.ChoiceField(label="探访人类别", choices=VisitorKind.choices, widget=forms.Select(attrs={"class": "form-select"}))
    only_unassigned = forms.BooleanField(label="只分配尚无探访人的老人", required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from regions.models import StaffAssignment

        villages = Region.objects.visible_to(user).filter(level=Region.Level.VILLAGE)
        staff = StaffAssignment.objects.active().visible_to(user)
        self.fields["village"].queryset = villages.order_by("code")
        self.fields["visitor"].queryset = (
            get_user_model().objects.filter(is_active=True, pk__in=staff.values("user_id")).order_by("username")
        )
        self.fields["visitor"].label_from_instance = lambda u: f"{u.get_full_name() or u.username}（{u.username}）"


class FollowUpCloseForm(forms.Form):
    note = forms.CharField(label="办结说明", max_length=300, required=True,
                           widget=forms.TextInput(attrs={"class": "form-control"}))
