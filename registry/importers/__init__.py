"""Importer kinds of the elder registry, registered into the generic ``imports`` engine.

- ``roll``: 户籍花名册 — upsert elders by ID number, households by 户号 within the village;
- ``deaths``: 死亡/迁出名单 (公安) — sets deceased_on / moved_out_on;
- ``assistance``: 社会救助名单 — economic status with its start/end dates;
- ``disability``: 残疾人证名单 (残联) — disability category, grade, certificate no. and date;
- ``households``: 户 — the admin's household import only (not offered in the staff portal).

The same rules as the single-row services (registry/services.py): the ID number is normalised
and decides sex and birth date; a given sex or birth date must agree with it; phone numbers are
11-digit mobiles or landlines with an area code; a disability grade needs a category; every village
must lie inside the uploader's area, and an elder registered outside it is never touched.

Validation is plain Python over all rows, with a fixed number of queries (villages once, existing
elders and households in chunks). Commit is set-based: bulk_create / bulk_update in batches, one
history row per created or changed elder with the importing user, no row touched when nothing changed.
A blank cell means "not given": it never clears a stored value.

Modules: ``vocabulary`` (lookups, shared columns), ``villages`` (village resolution), ``parsing``
(row parsing, shared reads and writes), ``roll`` and ``status_lists`` (the kinds). ``__all__`` lists
what other apps import from here.
"""

from __future__ import annotations

from imports.registry import ImporterKind, register

from .households import HOUSEHOLD_COLUMNS, HOUSEHOLD_PERMISSIONS, commit_households, validate_households
from .parsing import RowParser, existing_elders
from .roll import ROLL_COLUMNS, ROLL_PERMISSIONS, commit_roll, validate_roll
from .status_lists import (
    ASSISTANCE_COLUMNS,
    DEATH_COLUMNS,
    DISABILITY_COLUMNS,
    STATUS_PERMISSIONS,
    _status_validator,
    commit_status,
    parse_assistance,
    parse_death,
    parse_disability,
)
from .villages import Villages
from .vocabulary import DATE_HELP, HUKOU, ID_COLUMN, LOOKUPS

# What other modules use: assessments' result import (the roll's row parser and lookups), the admin
# resources (registry/resources.py: export labels) and the import benchmark.
__all__ = [
    "DATE_HELP", "HUKOU", "ID_COLUMN", "LOOKUPS", "ROLL_COLUMNS", "RowParser", "Villages", "existing_elders",
    "register_importers", "validate_roll",
]


def register_importers() -> None:
    register(ImporterKind("roll", "户籍花名册", ROLL_COLUMNS, validate_roll, commit_roll, ROLL_PERMISSIONS,
                          "按身份证号码新增或更新老年人，按户号归户", "户籍花名册导入模板"))
    register(ImporterKind("deaths", "死亡/迁出名单", DEATH_COLUMNS, _status_validator(parse_death), commit_status,
                          STATUS_PERMISSIONS, "公安部门的死亡、户口迁出名单：记录死亡日期或迁出日期", "死亡迁出名单模板"))
    register(ImporterKind("assistance", "社会救助名单", ASSISTANCE_COLUMNS, _status_validator(parse_assistance),
                          commit_status, STATUS_PERMISSIONS, "低保、特困等名单：记录经济状况及起止日期", "社会救助名单模板"))
    register(ImporterKind("disability", "残疾人证名单", DISABILITY_COLUMNS, _status_validator(parse_disability),
                          commit_status, STATUS_PERMISSIONS, "残联的残疾人证名单：记录残疾类别、等级、证号和发证日期",
                          "残疾人证名单模板"))
    register(ImporterKind("households", "户", HOUSEHOLD_COLUMNS, validate_households, commit_households,
                          HOUSEHOLD_PERMISSIONS, "户号、村(社区)、户籍类型、现住址、户主姓名（管理后台导入）", "户导入模板",
                          portal=False))
