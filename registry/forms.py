"""Forms of the staff portal. They parse input; the services validate and save."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone

from core.filters import FilterSet
from regions.models import Region

from . import rules
from .choices import AGE_BANDS, SPECIAL_DIFFICULTY_FLAGS, AbilityLevel, EconomicStatus, LivingArrangement
from .models import Elder
from .selectors import search_q


class VillageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        parent = obj.parent.name if obj.parent_id else ""
        return f"{parent} / {obj.name}" if parent else obj.name


class ElderForm(forms.ModelForm):
    # Longer than 18 on purpose: clerks paste numbers with spaces or dashes; the service normalises.
    id_number = forms.CharField(
        label="身份证号码", max_length=40,
        help_text="18位；15位旧号码会自动升级；全角字符、空格和小写x会自动纠正",
        error_messages={"required": "请填写身份证号码"},
    )
    household_number = forms.CharField(label="户号", max_length=40, required=False)

    class Meta:
        model = Elder
        fields = [
            "id_number", "name", "sex", "birth_date", "phone", "region", "household_number",
            "relation_to_head", "address", "local_hukou", "hukou_type", "economic_status",
            "economic_status_from", "economic_status_to", "living_arrangement", "disability_category",
            "disability_grade", "disability_certificate_no", "disability_certified_on", "special_family",
            "veteran_category", "care_setting", "deceased_on", "moved_out_on", "bank_name",
            "bank_account", "note",
        ]
        field_classes = {"region": VillageChoiceField}
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "deceased_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "moved_out_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "economic_status_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "economic_status_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "disability_certified_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "sex": "可不填，由身份证号码自动确定；填写时须与号码一致",
            "birth_date": "可不填，由身份证号码自动确定；填写时须与号码一致",
            "id_number": "18位；15位旧号码会自动升级；全角字符、空格和小写x会自动纠正",
        }
        error_messages = {
            "region": {
                "invalid_choice": "所选村(社区)不在您的管辖区域内",
                "required": "请选择所在村(社区)",
            },
            "id_number": {"required": "请填写身份证号码"},
            "name": {"required": "请填写姓名"},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["region"].queryset = (
            Region.objects.filter(level=Region.Level.VILLAGE).visible_to(user).select_related("parent").order_by("code")
        )
        self.fields["sex"].required = False
        self.fields["birth_date"].required = False
        if self.instance.pk and self.instance.household_id:
            self.initial.setdefault("household_number", self.instance.household.household_number)
        # Roles that may not see the full ID number (e.g. village workers) edit everything else; the ID,
        # the birth date (eight of its digits) and the bank account stay masked and unchanged.
        self.masked_fields = {}
        if self.instance.pk and not user.has_perm("registry.view_full_id_number"):
            for name in ("id_number", "birth_date", "bank_account"):
                label = self.fields.pop(name).label
                value = getattr(self.instance, name)
                if name == "id_number":
                    self.masked_fields[label] = self.instance.masked_id_number
                elif name == "birth_date":
                    self.masked_fields[label] = "****-**-**"
                else:
                    self.masked_fields[label] = rules.mask_bank_account(value)
        for name, field in self.fields.items():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            widget.attrs.setdefault("class", css)

    def _post_clean(self):
        # Model validation runs in the service after sex and birth date are derived from the ID.
        pass

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "household_number"}
        for key in ("sex",):
            data[key] = data.get(key) or ""
        return data


class ElderFilterSet(FilterSet):
    """The elder list's filters over the already scoped register (selectors.elder_list). Living
    elders unless ``vital`` says otherwise; an invalid value filters nothing."""

    q = django_filters.CharFilter(label="搜索", max_length=40, method="filter_q")
    age_band = django_filters.ChoiceFilter(
        label="年龄段", choices=[(key, band[0]) for key, band in AGE_BANDS.items()], empty_label="全部年龄",
        method="filter_age_band",
    )
    economic_status = django_filters.ChoiceFilter(label="经济状况", choices=EconomicStatus.choices, empty_label="全部经济状况")
    ability_level = django_filters.ChoiceFilter(
        label="能力等级", choices=[(str(v), l) for v, l in AbilityLevel.choices], empty_label="全部能力等级",
        null_label="未评估", null_value="none",
    )
    living_arrangement = django_filters.ChoiceFilter(
        label="居住状况", choices=LivingArrangement.choices, empty_label="全部居住状况"
    )
    flag = django_filters.ChoiceFilter(
        label="特殊困难", choices=list(SPECIAL_DIFFICULTY_FLAGS.items()), empty_label="全部特殊困难类型",
        method="filter_flag",
    )
    vital = django_filters.ChoiceFilter(
        label="状态", choices=[("alive", "在世"), ("deceased", "已故"), ("all", "全部")], empty_label=None,
        method="filter_vital",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user or getattr(self.request, "user", None)
        self.form.fields["q"].widget.attrs["placeholder"] = "姓名、电话或身份证号码（可部分）"

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset if self.value("vital") else queryset.alive()

    def filter_vital(self, queryset, name, value):
        return {"alive": queryset.alive(), "deceased": queryset.filter(deceased_on__isnull=False)}.get(value, queryset)

    def filter_age_band(self, queryset, name, value):
        _label, low, high = AGE_BANDS[value]
        return queryset.aged_between(low, high, timezone.localdate())

    def filter_flag(self, queryset, name, value):
        return queryset.with_flag(value)

    def filter_q(self, queryset, name, value):
        partial_id = self.user is not None and self.user.has_perm("registry.view_full_id_number")
        return queryset.filter(search_q(value, partial_id=partial_id))
