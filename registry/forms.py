"""Forms of the staff portal. They parse input; the services validate and save."""

from __future__ import annotations

from django import forms

from regions.models import Region

from . import rules
from .choices import AGE_BANDS, SPECIAL_DIFFICULTY_FLAGS, AbilityLevel, EconomicStatus, LivingArrangement
from .models import Elder


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


class ElderFilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, max_length=40)
    age_band = forms.ChoiceField(
        label="年龄段", required=False, choices=[("", "全部年龄")] + [(key, band[0]) for key, band in AGE_BANDS.items()]
    )
    economic_status = forms.ChoiceField(
        label="经济状况", required=False, choices=[("", "全部经济状况")] + EconomicStatus.choices
    )
    ability_level = forms.ChoiceField(
        label="能力等级", required=False, choices=[("", "全部能力等级"), ("none", "未评估")] + [(str(v), l) for v, l in AbilityLevel.choices]
    )
    living_arrangement = forms.ChoiceField(
        label="居住状况", required=False, choices=[("", "全部居住状况")] + LivingArrangement.choices
    )
    flag = forms.ChoiceField(
        label="特殊困难", required=False, choices=[("", "全部特殊困难类型")] + list(SPECIAL_DIFFICULTY_FLAGS.items())
    )
    vital = forms.ChoiceField(
        label="状态", required=False, choices=[("alive", "在世"), ("deceased", "已故"), ("all", "全部")]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)
        self.fields["q"].widget.attrs["placeholder"] = "姓名、电话或身份证号码（可部分）"
