"""django-import-export resources for the Django admin: export our templates, import through the engine.

Import is the import engine's (imports/admin_import.py): a resource only names its importer kind
(``roll``, ``households`` in registry/importers/), whose rules — ID numbers, villages inside the
admin's area, vocabularies, duplicates, compare-and-set — are the only copy. The admin requires the
import/export permissions (ElderAdmin.has_import_permission …). Exported rows come from a queryset
scoped to the admin user's area, and their cells go through our formula neutraliser, not the
library's (which only strips "=") — docs/contributing.md, "Known traps in our libraries".
"""

from __future__ import annotations

from typing import Any

from import_export import fields, resources

from core.spreadsheets import neutralise
from imports.admin_import import EngineImportResource

from . import importers
from .models import Elder, Household


class _ScopedResource(EngineImportResource, resources.ModelResource):
    """A resource that knows the acting user, never exports outside their area, imports through the engine."""

    def __init__(self, user: Any = None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def get_queryset(self):
        return self._meta.model.objects.visible_to(self.user)

    def export_field(self, field, instance, **kwargs):
        return neutralise(super().export_field(field, instance, **kwargs))


def _label(field: str):
    def dehydrate(self, obj):
        value = getattr(obj, field)
        lookup = importers.LOOKUPS.get(field)
        return lookup.label(value) if lookup is not None else value

    return dehydrate


class ElderResource(_ScopedResource):
    """The 户籍花名册 template (docs/import-templates.md): export it, edit it, import it back."""

    import_kind = "roll"

    id_number = fields.Field(attribute="id_number", column_name="身份证号码")
    name = fields.Field(attribute="name", column_name="姓名")
    sex = fields.Field(attribute="sex", column_name="性别")
    birth_date = fields.Field(attribute="birth_date", column_name="出生日期")
    household = fields.Field(column_name="户号")
    relation_to_head = fields.Field(attribute="relation_to_head", column_name="与户主关系")
    hukou_type = fields.Field(attribute="hukou_type", column_name="户籍类型")
    village = fields.Field(column_name="村(社区)")
    address = fields.Field(attribute="address", column_name="现住址")
    phone = fields.Field(attribute="phone", column_name="联系电话")
    economic_status = fields.Field(attribute="economic_status", column_name="经济状况")
    living_arrangement = fields.Field(attribute="living_arrangement", column_name="居住状况")
    disability_category = fields.Field(attribute="disability_category", column_name="残疾类别")
    disability_grade = fields.Field(attribute="disability_grade", column_name="残疾等级")
    special_family = fields.Field(attribute="special_family", column_name="计划生育特殊家庭")
    veteran_category = fields.Field(attribute="veteran_category", column_name="优抚对象类别")
    local_hukou = fields.Field(attribute="local_hukou", column_name="是否本地户籍")
    bank_name = fields.Field(attribute="bank_name", column_name="开户银行")
    bank_account = fields.Field(attribute="bank_account", column_name="银行账号")
    note = fields.Field(attribute="note", column_name="备注")

    class Meta:
        model = Elder
        fields = (
            "id_number", "name", "sex", "birth_date", "household", "relation_to_head", "hukou_type", "village",
            "address", "phone", "economic_status", "living_arrangement", "disability_category", "disability_grade",
            "special_family", "veteran_category", "local_hukou", "bank_name", "bank_account", "note",
        )
        import_id_fields = ("id_number",)

    dehydrate_sex = _label("sex")
    dehydrate_relation_to_head = _label("relation_to_head")
    dehydrate_hukou_type = _label("hukou_type")
    dehydrate_economic_status = _label("economic_status")
    dehydrate_living_arrangement = _label("living_arrangement")
    dehydrate_disability_category = _label("disability_category")
    dehydrate_disability_grade = _label("disability_grade")
    dehydrate_special_family = _label("special_family")
    dehydrate_veteran_category = _label("veteran_category")
    dehydrate_local_hukou = _label("local_hukou")

    def dehydrate_birth_date(self, obj):
        return obj.birth_date.isoformat() if obj.birth_date else ""

    def dehydrate_household(self, obj):
        return obj.household.household_number if obj.household_id else ""

    def dehydrate_village(self, obj):
        return obj.region_code

    def iter_queryset(self, queryset):
        return super().iter_queryset(queryset.select_related("household"))


class HouseholdResource(_ScopedResource):
    """户: 户号 within a village (code or name inside the admin's area)."""

    import_kind = "households"

    household_number = fields.Field(attribute="household_number", column_name="户号")
    village = fields.Field(column_name="村(社区)")
    hukou_type = fields.Field(attribute="hukou_type", column_name="户籍类型")
    address = fields.Field(attribute="address", column_name="现住址")
    head_name = fields.Field(attribute="head_name", column_name="户主姓名")

    class Meta:
        model = Household
        fields = ("household_number", "village", "hukou_type", "address", "head_name")
        import_id_fields = ("household_number",)

    dehydrate_hukou_type = _label("hukou_type")

    def dehydrate_village(self, obj):
        return obj.region_code
