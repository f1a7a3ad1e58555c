"""django-import-export resources for the Django admin: the same templates and the same validation
as the staff portal's importer (registry/importers/), row by row through import-export.

The library's known traps (docs/contributing.md, "Known traps in our libraries") are closed here:
- instance lookup goes through a queryset scoped to the admin user's area, and the whole file is
  validated by our importer first, so an ID registered outside the area is a row error — it can never
  be matched or overwritten;
- the admin requires the import/export permissions (ElderAdmin.has_import_permission …);
- the admin commits with ``rollback_on_validation_errors`` (strict): one invalid row, nothing written;
- exported cells go through our formula neutraliser, not the library's (which only strips "=").

Files are read as the portal reads them (imports/admin_import.py): the header may sit below title
rows, carry `*` marks, use synonyms and come in any order; ``before_import`` rewrites the dataset into
the template's columns and keeps each row's Excel row number for the messages.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export import fields, resources

from audit.services import record
from core.spreadsheets import neutralise
from imports.admin_import import NoticedResult, file_notices, normalise_dataset
from imports.registry import Column, Context, Table
from imports.values import clean_text, compact, is_blank
from regions.models import Region

from . import importers, rules, services
from .models import Elder, Household


class _ScopedResource(resources.ModelResource):
    """A resource that knows the acting user and never looks outside their area."""

    def __init__(self, user: Any = None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def get_queryset(self):
        return self._meta.model.objects.visible_to(self.user)

    def export_field(self, field, instance, **kwargs):
        return neutralise(super().export_field(field, instance, **kwargs))

    def _user(self, kwargs) -> Any:
        return kwargs.get("user") or self.user

    # --- import: the file read as the portal reads it, its notices kept for the result ------------------
    @classmethod
    def get_result_class(cls):
        return NoticedResult

    def _normalise(self, dataset, columns: tuple[Column, ...]) -> Table:
        """normalise_dataset, remembering the file's notices (unknown columns, ignored — issue #3)."""
        self._notices: list[str] = []
        table = normalise_dataset(dataset, columns)
        self._notices = file_notices(table)
        return table

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        result.notices.extend(getattr(self, "_notices", []))


def _label(field: str):
    def dehydrate(self, obj):
        value = getattr(obj, field)
        lookup = importers.LOOKUPS.get(field)
        return lookup.label(value) if lookup is not None else value

    return dehydrate


class ElderResource(_ScopedResource):
    """The 户籍花名册 template (docs/import-templates.md): export it, edit it, import it back."""

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
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = False  # our importer validated the whole file already (before_import)
        use_bulk = False

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

    # --- import -----------------------------------------------------------------------------
    def before_import(self, dataset, **kwargs):
        """Find the header as the portal does, then validate the whole file with the importer
        (IDs, area, duplicates) before any row."""
        table = self._normalise(dataset, importers.ROLL_COLUMNS)
        self._excel_rows = [number for number, _ in table.rows]
        plan = importers.validate_roll(Context(user=self._user(kwargs), table=table, keep_rows=True))
        self._plan = plan
        self._errors: dict[int, list[str]] = {}
        for error in plan.errors:
            self._errors.setdefault(error.row, []).append(
                f"第{error.row}行 {error.column}" + (f"「{error.value}」" if error.value else "") + f"：{error.reason}"
            )

    def get_instance(self, instance_loader, row):
        raw = row.get("身份证号码")
        if is_blank(raw):
            return None
        try:
            number = rules.parse_id_number(compact(raw)).number
        except rules.IdNumberError:
            return None
        return self.get_queryset().filter(id_number=number).first()

    def _excel_row(self, kwargs) -> int:
        return self._excel_rows[int(kwargs["row_number"]) - 1]

    def import_instance(self, instance, row, **kwargs):
        number = self._excel_row(kwargs)
        problems = self._errors.get(number)
        if problems:
            raise ValidationError({NON_FIELD_ERRORS: problems})
        values = self._plan.payload["rows"].get(number)
        if values is None:  # an identical duplicate of an earlier row
            instance._yiyang_skip = True
            return
        if values.get("_unchanged"):
            instance._yiyang_skip = True
            return
        user = self._user(kwargs)
        for key, value in values.items():
            if not key.startswith("_") and key not in ("region_id", "region_code"):
                setattr(instance, key, value)
        region = Region.objects.get(pk=values["region_id"])
        instance.region = region
        instance.region_code = region.code
        _, household_number = values["_household"]
        instance.household = services.household_get_or_create(
            actor=user, region=region, household_number=household_number, hukou_type=values.get("hukou_type"),
            address=values.get("address", ""),
        )

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if import_validation_errors:
            return False
        return bool(getattr(instance, "_yiyang_skip", False))

    def save_instance(self, instance, is_create, row, **kwargs):
        user = self._user(kwargs)
        instance._history_user = user if getattr(user, "is_authenticated", False) else None
        super().save_instance(instance, is_create, row, **kwargs)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not kwargs.get("dry_run") and not result.has_errors() and not result.has_validation_errors():
            record(actor=self._user(kwargs), event="eligibility.admin_import", detail={
                "model": "elder", "file": kwargs.get("file_name", ""),
                "totals": {k: v for k, v in result.totals.items() if v},
            })


def _roll_column(key: str, **changes: Any) -> Column:
    column = next(c for c in importers.ROLL_COLUMNS if c.key == key)
    return dataclasses.replace(column, **changes)


HOUSEHOLD_COLUMNS = (
    _roll_column("household_number"),
    _roll_column("village"),
    _roll_column("hukou_type"),
    _roll_column("address"),
    Column("head_name", "户主姓名", False, ("户主",), "", 10),
)


class HouseholdResource(_ScopedResource):
    """户: 户号 within a village (code or name inside the admin's area)."""

    household_number = fields.Field(attribute="household_number", column_name="户号")
    village = fields.Field(column_name="村(社区)")
    hukou_type = fields.Field(attribute="hukou_type", column_name="户籍类型")
    address = fields.Field(attribute="address", column_name="现住址")
    head_name = fields.Field(attribute="head_name", column_name="户主姓名")

    class Meta:
        model = Household
        fields = ("household_number", "village", "hukou_type", "address", "head_name")
        import_id_fields = ("household_number",)
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    dehydrate_hukou_type = _label("hukou_type")

    def dehydrate_village(self, obj):
        return obj.region_code

    def before_import(self, dataset, **kwargs):
        """Find the header as the portal does (title rows, `*` marks, synonyms, any order)."""
        table = self._normalise(dataset, HOUSEHOLD_COLUMNS)
        self._excel_rows = [number for number, _ in table.rows]
        self._villages = importers.Villages(self._user(kwargs))
        self._villages.prepare(dataset["村(社区)"])

    def _village(self, row, where: str = "") -> tuple[int, str]:
        resolved = self._villages.resolve(row.get("村(社区)"))
        if isinstance(resolved, str):
            raise ValidationError({"region": f"{where}村(社区)「{row.get('村(社区)')}」：{resolved}"})
        return resolved

    def get_instance(self, instance_loader, row):
        try:
            region_id, _ = self._village(row)
        except ValidationError:
            return None
        return self.get_queryset().filter(region_id=region_id, household_number=compact(row.get("户号"))).first()

    def import_instance(self, instance, row, **kwargs):
        where = f"第{self._excel_rows[int(kwargs['row_number']) - 1]}行 "
        region_id, region_code = self._village(row, where)
        errors = {}
        instance.region_id = region_id
        instance.region_code = region_code
        instance.household_number = compact(row.get("户号"))
        if not instance.household_number:
            errors["household_number"] = f"{where}请填写户号"
        if "户籍类型" in row and not is_blank(row.get("户籍类型")):
            try:
                instance.hukou_type = importers.HUKOU.parse(row["户籍类型"])
            except ValueError as exc:
                errors["hukou_type"] = f"{where}户籍类型「{row['户籍类型']}」：{exc}"
        for column, attr in (("现住址", "address"), ("户主姓名", "head_name")):
            if column in row and not is_blank(row.get(column)):
                setattr(instance, attr, clean_text(row[column]))
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        user = self._user(kwargs)
        instance._history_user = user if getattr(user, "is_authenticated", False) else None
        super().save_instance(instance, is_create, row, **kwargs)
