"""Forms of the worklist (服务找人): filters and the bulk decision."""

from __future__ import annotations

from django import forms

from regions.models import Region

from ..models import Benefit, Enrolment
from ..policy.selectors import TABS


class WorklistFilterForm(forms.Form):
    tab = forms.ChoiceField(label="列表", choices=list(TABS.items()), required=False)
    benefit = forms.ChoiceField(label="项目", required=False)
    village = forms.ChoiceField(label="村(社区)", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部")] + list(Enrolment.Status.choices))
    period = forms.RegexField(label="所属期", regex=r"^\d{4}-\d{2}$", required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["benefit"].choices = [("", "全部项目")] + list(Benefit.objects.order_by("code").values_list("code", "name"))
        villages = Region.objects.visible_to(user).filter(level=Region.Level.VILLAGE).order_by("code")
        self.fields["village"].choices = [("", "全部村(社区)")] + [(r.code, r.name) for r in villages[:500]]


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
