"""Forms of the facilities pages. They parse input; the services validate and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from registry.public import Elder
from regions.models import Region

from . import services
from .choices import BedKind, BedLocation, BedStatus, DischargeReason, RatingScheme, ResidentType
from .models import Bed, Facility

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StyledMixin:
    """Bootstrap classes on every widget, as the registry's forms do."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        parent = obj.parent.name if obj.parent_id and obj.level == "village" else ""
        return f"{parent} / {obj.name}" if parent else obj.name


class FacilityForm(StyledMixin, forms.ModelForm):
    accepted_residents = forms.MultipleChoiceField(
        label="收住对象", choices=ResidentType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Facility
        fields = [
            "name", "kind", "ownership", "region", "address", "credit_code", "operator", "contact_name",
            "contact_phone", "filed", "filed_on", "fire_approved", "fire_approved_on", "medical_integration",
            "has_dementia_zone", "accepted_residents", "bed_fee_min", "bed_fee_max", "care_fee_min", "care_fee_max",
            "meal_fee_min", "meal_fee_max", "note",
        ]
        field_classes = {"region": RegionChoiceField}
        widgets = {"filed_on": DATE, "fire_approved_on": DATE}
        error_messages = {
            "name": {"required": "请填写机构名称"},
            "region": {"required": "请选择所在区划", "invalid_choice": "所选区划不在您的管辖区域内"},
            "kind": {"required": "请选择机构类型"},
            "ownership": {"required": "请选择机构性质"},
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = Region.objects.visible_to(user).filter(level__in=["township", "village"])
        if self.instance.pk:  # a manager editing through a grant keeps the facility's own division
            regions = regions | Region.objects.filter(pk=self.instance.region_id)
        self.fields["region"].queryset = regions.select_related("parent").order_by("code")

    def _post_clean(self) -> None:  # the service validates the model (full_clean) and saves
        pass

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class RatingForm(StyledMixin, forms.Form):
    scheme = forms.ChoiceField(label="评定类型", choices=RatingScheme.choices)
    level = forms.IntegerField(label="等级/星级", help_text="1–5：一级至五级，或一星至五星",
                               error_messages={"required": "请填写等级/星级", "invalid": "等级/星级应为1至5"})
    rated_on = forms.DateField(label="评定日期", widget=DATE, error_messages={"required": "请填写评定日期"})
    rating_body = forms.CharField(label="评定机构", max_length=100, error_messages={"required": "请填写评定机构"})
    expires_on = forms.DateField(label="有效期至", widget=DATE, required=False, help_text="不填则按评定日期起3年计算")
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args: Any, facility: Facility, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not facility.is_graded_kind:
            self.initial.setdefault("scheme", RatingScheme.STAR)


class BedCreateForm(StyledMixin, forms.Form):
    room = forms.CharField(label="房间号", max_length=20, error_messages={"required": "请填写房间号"})
    kind = forms.ChoiceField(label="床位类型", choices=BedKind.choices, initial=BedKind.NURSING)
    count = forms.IntegerField(label="床位数", min_value=1, max_value=200, initial=1,
                               error_messages={"min_value": "至少1张", "max_value": "一次最多200张"})
    first_number = forms.IntegerField(label="起始床号", min_value=1, max_value=99, initial=1)
    code = forms.CharField(label="床位编码（可选）", max_length=40, required=False,
                           help_text="留空则自动生成，如 F0001-201-01；指定编码时一次只能添加一张")
    location = forms.ChoiceField(label="位置", choices=BedLocation.choices, initial=BedLocation.FACILITY)
    home_address = forms.CharField(label="家庭床位地址", max_length=200, required=False,
                                   help_text="家庭养老床位：床位设在老年人家中，由本机构提供服务")


class BedStatusForm(StyledMixin, forms.Form):
    status = forms.ChoiceField(
        label="床位状态", choices=[c for c in BedStatus.choices if c[0] != BedStatus.OCCUPIED]
    )


class ElderLookupMixin:
    """The ``elder`` field: an ID number looked up inside the clerk's scope by
    ``services.admission_elder_lookup`` (the form needs ``self.facility`` and ``self.user``). A number
    that is missing and one outside the area get the same message, so the form cannot be used to probe
    whether someone is registered elsewhere; without a user the lookup finds nobody (fails closed)."""

    facility: Facility
    user: Any
    cleaned_data: dict[str, Any]

    def clean_elder(self) -> Elder:
        try:
            return services.admission_elder_lookup(
                actor=self.user, facility=self.facility, id_number=self.cleaned_data["elder"]
            )
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict.get("elder", exc.messages)) from None


class AdmitForm(ElderLookupMixin, StyledMixin, forms.Form):
    elder = forms.CharField(label="老年人身份证号码", max_length=40, error_messages={"required": "请填写身份证号码"})
    bed = forms.ModelChoiceField(label="床位", queryset=Bed.objects.none(),
                                 error_messages={"required": "请选择床位", "invalid_choice": "所选床位无效"})
    admitted_on = forms.DateField(label="入住日期", widget=DATE, error_messages={"required": "请填写入住日期"})

    def __init__(self, *args: Any, facility: Facility, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.facility = facility
        self.user = user  # without a user the lookup finds nobody (fails closed)
        # Every bed of the facility is listed (occupied/disabled ones marked) so a wrong choice gets
        # the service's clear message rather than a silent "invalid choice".
        self.fields["bed"].queryset = Bed.objects.filter(facility=facility).order_by("room", "code")
        self.fields["bed"].label_from_instance = lambda b: f"{b.code} · {b.room} · {b.get_kind_display()} · {b.get_status_display()}"
        self.initial.setdefault("admitted_on", timezone.localdate())


class DischargeForm(StyledMixin, forms.Form):
    discharged_on = forms.DateField(label="离开日期", widget=DATE, error_messages={"required": "请填写离开日期"})
    reason = forms.ChoiceField(
        label="离开原因", choices=[c for c in DischargeReason.choices if c[0] != DischargeReason.TRANSFER]
    )
    note = forms.CharField(label="说明", max_length=200, required=False)


class TransferForm(StyledMixin, forms.Form):
    to_bed = forms.ModelChoiceField(label="转入床位", queryset=Bed.objects.none(),
                                    error_messages={"required": "请选择转入床位"})
    on = forms.DateField(label="转床日期", widget=DATE, error_messages={"required": "请填写转床日期"})

    def __init__(self, *args: Any, beds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_bed"].queryset = beds.select_related("facility").order_by("facility__name", "room", "code")
        self.fields["to_bed"].label_from_instance = (
            lambda b: f"{b.facility.name} · {b.code} · {b.room} · {b.get_kind_display()} · {b.get_status_display()}"
        )
        self.initial.setdefault("on", timezone.localdate())


class WaitlistApplyForm(ElderLookupMixin, StyledMixin, forms.Form):
    elder = forms.CharField(label="老年人身份证号码", max_length=40, error_messages={"required": "请填写身份证号码"})
    applied_on = forms.DateField(label="申请日期", widget=DATE, error_messages={"required": "请填写申请日期"})
    wants_centralised = forms.BooleanField(label="申请集中供养（特困人员）", required=False, initial=True)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args: Any, facility: Facility, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.facility = facility
        self.user = user  # without a user the lookup finds nobody (fails closed)
        self.initial.setdefault("applied_on", timezone.localdate())


class WithdrawForm(StyledMixin, forms.Form):
    note = forms.CharField(label="撤回原因", max_length=200, required=False)
