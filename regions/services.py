"""Region loading and staff assignment services."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import record

from .models import Region, StaffAssignment
from .rules import LEVEL_PREFIX_LENGTH, LEVELS
from .scoping import forget_area_cache

REQUIRED_COLUMNS = ("code", "name", "level", "parent_code")
MAX_REPORTED_ERRORS = 50


class RegionFileError(ValueError):
    """The file is refused as a whole; ``errors`` lists 'line N: reason' strings."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("区划文件有错误，未导入任何行：\n" + "\n".join(errors))


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(frozen=True)
class _Row:
    line: int
    code: str
    name: str
    level: str
    parent_code: str
    valid_from: dt.date | None
    valid_to: dt.date | None


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RegionFileError(["文件编码无法识别（应为 UTF-8 或 GB18030）"])


def _parse_date(value: str, line: int, column: str, errors: list[str]) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(f"第{line}行：{column} “{value}” 不是有效日期（应为 YYYY-MM-DD）")
        return None


def parse_region_csv(raw: bytes, *, default_valid_from: dt.date | None = None) -> list[_Row]:
    """Parse and validate the whole file; raise RegionFileError naming every bad line."""
    text = _decode(raw)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise RegionFileError([f"第1行（表头）：缺少列 {', '.join(missing)}；应有 code,name,level,parent_code"])
    reader.fieldnames = header

    errors: list[str] = []
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for line, record_ in enumerate(reader, start=2):
        if record_ is None or not any((v or "").strip() for v in record_.values() if isinstance(v, str)):
            continue  # blank line
        if None in record_:
            errors.append(f"第{line}行：列数多于表头")
            continue
        code = (record_.get("code") or "").strip()
        name = (record_.get("name") or "").strip()
        level = (record_.get("level") or "").strip()
        parent_code = (record_.get("parent_code") or "").strip()
        problems = []
        if not (code.isdigit() and len(code) == 12):
            problems.append(f"code “{code}” 应为12位数字")
        if not name:
            problems.append("name 为空")
        if level not in LEVEL_PREFIX_LENGTH:
            problems.append(f"level “{level}” 应为 {'/'.join(LEVELS)} 之一")
        elif code.isdigit() and len(code) == 12 and set(code[LEVEL_PREFIX_LENGTH[level]:]) - {"0"}:
            problems.append(f"code “{code}” 与级别 {level} 不符（第{LEVEL_PREFIX_LENGTH[level] + 1}位起应为0）")
        if level == "province" and parent_code:
            problems.append("省级区划不应有 parent_code")
        if level in LEVEL_PREFIX_LENGTH and level != "province":
            if not (parent_code.isdigit() and len(parent_code) == 12):
                problems.append(f"parent_code “{parent_code}” 应为12位数字")
        if code in seen:
            problems.append(f"code {code} 与第{seen[code]}行重复")
        valid_from = _parse_date(record_.get("valid_from") or "", line, "valid_from", errors) or default_valid_from
        valid_to = _parse_date(record_.get("valid_to") or "", line, "valid_to", errors)
        if problems:
            errors.append(f"第{line}行：" + "；".join(problems))
            continue
        seen[code] = line
        rows.append(_Row(line, code, name, level, parent_code, valid_from, valid_to))
        if len(errors) >= MAX_REPORTED_ERRORS:
            break
    if not rows and not errors:
        errors.append("文件中没有数据行")
    if errors:
        raise RegionFileError(errors[:MAX_REPORTED_ERRORS])
    return rows


@transaction.atomic
def load_regions(*, raw: bytes, default_valid_from: dt.date | None = None, actor=None) -> LoadResult:
    """Upsert a whole region file by code, level by level. All or nothing; unchanged rows untouched."""
    rows = parse_region_csv(raw, default_valid_from=default_valid_from)
    file_codes = {r.code: r for r in rows}
    existing = {
        code: (pk, name, level, parent_code, vf, vt)
        for pk, code, name, level, parent_code, vf, vt in Region.objects.values_list(
            "pk", "code", "name", "level", "parent__code", "valid_from", "valid_to"
        )
    }
    # Parents must exist in the file or in the database, one level up or higher.
    errors = []
    for r in rows:
        if r.level == "province":
            continue
        parent_level = file_codes[r.parent_code].level if r.parent_code in file_codes else (
            existing[r.parent_code][2] if r.parent_code in existing else None
        )
        if parent_level is None:
            errors.append(f"第{r.line}行：上级区划 {r.parent_code} 不存在（文件和系统中都没有）")
        elif LEVELS.index(parent_level) >= LEVELS.index(r.level):
            errors.append(f"第{r.line}行：上级区划 {r.parent_code} 的级别（{parent_level}）不高于本级（{r.level}）")
        if len(errors) >= MAX_REPORTED_ERRORS:
            break
    if errors:
        raise RegionFileError(errors)

    result = LoadResult()
    code_to_pk = {code: v[0] for code, v in existing.items()}
    for level in LEVELS:
        to_write = []
        for r in (r for r in rows if r.level == level):
            old = existing.get(r.code)
            new = (r.name, r.level, r.parent_code or None, r.valid_from, r.valid_to)
            if old is not None and old[1:] == new:
                result.unchanged += 1
                continue
            if old is None:
                result.created += 1
            else:
                result.updated += 1
            to_write.append(
                Region(
                    code=r.code,
                    name=r.name,
                    level=r.level,
                    parent_id=code_to_pk.get(r.parent_code) if r.parent_code else None,
                    valid_from=r.valid_from,
                    valid_to=r.valid_to,
                )
            )
        result.by_level[level] = sum(1 for r in rows if r.level == level)
        if to_write:
            Region.objects.bulk_create(
                to_write,
                batch_size=2000,
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=["name", "level", "parent", "valid_from", "valid_to"],
            )
            code_to_pk.update(
                Region.objects.filter(code__in=[r.code for r in to_write]).values_list("code", "pk")
            )
    record(
        actor=actor,
        event="regions.load",
        detail={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return result


def load_regions_file(*, path: Path, default_valid_from: dt.date | None = None, actor=None) -> LoadResult:
    return load_regions(raw=Path(path).read_bytes(), default_valid_from=default_valid_from, actor=actor)


@transaction.atomic
def staff_assignment_create(*, actor, user, region: Region, role) -> StaffAssignment:
    """Give a user an area and a role; the user joins the role's group so its permissions apply."""
    assignment = StaffAssignment(user=user, region=region, role=role)
    assignment.region_code = region.code
    try:
        assignment.full_clean()
    except ValidationError:
        raise
    assignment.save()
    sync_user_roles(user=user)
    record(actor=actor, event="regions.assignment_create", obj=assignment, region_code=region.code)
    return assignment


def sync_user_roles(*, user) -> None:
    """Make the user's role groups match their assignments (other groups are left alone)."""
    from .roles import ROLE_NAMES

    assigned = set(StaffAssignment.objects.filter(user=user).values_list("role_id", flat=True))
    role_groups = {g.pk: g for g in user.groups.model.objects.filter(name__in=ROLE_NAMES)}
    current = set(user.groups.filter(pk__in=role_groups).values_list("pk", flat=True))
    if assigned - current:
        user.groups.add(*(assigned - current))
    stale = (current - assigned) & set(role_groups)
    if stale:
        user.groups.remove(*stale)
    forget_area_cache(user)
