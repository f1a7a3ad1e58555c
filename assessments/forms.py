"""Forms of the assessment pages. They parse input; the services validate, score and save."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.forms.models import fields_for_model

from . import selectors
from .models import Assessment, Indicator, Item, Option, SpecialCare

SECTION_A_FIELDS = [
    "reason", "assessed_on", "place", "assessor_1", "assessor_2", "informant_name", "informant_relation",
    "informant_phone", "diagnoses", "diagnosis_notes", "falls_30d", "choking_30d", "self_harm_30d",
    "wandering_30d", "coma", "care_notes", "note",
]


def item_field_name(code: str) -> str:
    """B.1.1 → item_B_1_1 (a name that is safe in HTML ids and CSS selectors)."""
    return "item_" + code.replace(".", "_")


class AssessorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


@dataclass
class ItemRow:
    item: Item
    name: str
    value: str
    errors: list[str]
    options: list[Option] = field(default_factory=list)


@dataclass
class Section:
    indicator: Indicator
    rows: list[ItemRow]


class AssessmentForm(forms.Form):
    """Section A fields (from the model) plus one radio group per item of the instrument."""

    def __init__(self, *args: Any, elder: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.elder = elder
        model_fields = fields_for_model(
            Assessment, fields=SECTION_A_FIELDS,
            field_classes={"assessor_1": AssessorChoiceField, "assessor_2": AssessorChoiceField},
            widgets={
                "assessed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                "care_notes": forms.Textarea(attrs={"rows": 2}),
            },
        )
        self.fields.update(model_fields)
        assessors = selectors.assessors_for(elder.region_code)
        for name in ("assessor_1", "assessor_2"):
            self.fields[name].queryset = assessors
            self.fields[name].required = False  # the service names the missing assessor in Chinese
            self.fields[name].error_messages["invalid_choice"] = "所选人员不是该老年人所在区域的评估员"
        self.fields["reason"].required = False
        self.fields["assessed_on"].required = False
        self.fields["special_care"] = forms.MultipleChoiceField(
            label="特殊护理情况", choices=SpecialCare.choices, required=False, widget=forms.CheckboxSelectMultiple
        )
        self.sections_data = selectors.instrument_sections()
        for indicator in self.sections_data:
            for item in indicator.items.all():
                self.fields[item_field_name(item.code)] = forms.CharField(required=False, label=f"{item.code} {item.name}")
        for name, form_field in self.fields.items():
            widget = form_field.widget
            if isinstance(widget, (forms.CheckboxInput,)):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    @property
    def section_a_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in SECTION_A_FIELDS[:8]]

    @property
    def health_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in SECTION_A_FIELDS[8:]] + [self["special_care"]]

    def sections(self) -> list[Section]:
        """The instrument in the standard's order with each item's current answer and errors."""
        out = []
        for indicator in self.sections_data:
            rows = []
            for item in indicator.items.all():
                bound = self[item_field_name(item.code)]
                value = bound.value()
                rows.append(
                    ItemRow(item=item, name=bound.html_name, value="" if value is None else str(value),
                            errors=list(bound.errors), options=list(item.options.all()))
                )
            out.append(Section(indicator=indicator, rows=rows))
        return out

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in SECTION_A_FIELDS}
        for key in ("place", "informant_name", "informant_relation", "informant_phone", "diagnoses",
                    "diagnosis_notes", "care_notes", "note"):
            data[key] = data[key] or ""
        for key in ("falls_30d", "choking_30d", "self_harm_30d", "wandering_30d"):
            data[key] = int(data[key] or 0)
        data["special_care"] = list(self.cleaned_data.get("special_care") or [])
        answers = {}
        for indicator in self.sections_data:
            for item in indicator.items.all():
                value = (self.cleaned_data.get(item_field_name(item.code)) or "").strip()
                if value != "":
                    answers[item.code] = value
        data["answers"] = answers
        return data

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Put a service's ValidationError on the matching field (item codes → radio groups)."""
        for key, messages in errors.items():
            name = item_field_name(key) if key.startswith("B.") else key
            self.add_error(name if name in self.fields else None, messages)

    @staticmethod
    def initial_from(assessment: Assessment) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(assessment, name) for name in SECTION_A_FIELDS}
        initial["assessor_1"] = assessment.assessor_1_id
        initial["assessor_2"] = assessment.assessor_2_id
        initial["special_care"] = assessment.special_care
        for code, score in (assessment.answers or {}).items():
            initial[item_field_name(code)] = str(score)
        return initial


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200, required=False,
                             widget=forms.TextInput(attrs={"class": "form-control"}))
