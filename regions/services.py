"""Region loading and staff assignment services."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import record
from core.scoping import code_under, code_within, forget_area_cache

from . import roles
from .models import Region, StaffAssignment
from .rules import LEVEL_PREFIX_LENGTH, LEVELS, prefix_for

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


# ---------------------------------------------------------------------------------------------
# Role administration (授权). Who may grant what is data: roles.GRANT_RIGHTS. A grant of a
# four-eyes role (roles.four_eyes_role_names) is PENDING until a second administrator approves it.


def grant_scopes(actor: Any) -> list[tuple[str, frozenset[str]]]:
    """(code prefix, roles grantable there) for each active assignment of the actor that grants."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    scopes = []
    rows = (
        StaffAssignment.objects.active()
        .filter(user_id=actor.pk, role__name__in=list(roles.GRANT_RIGHTS))
        .values_list("region__code", "region__level", "role__name")
    )
    for code, level, role_name in rows:
        scopes.append((prefix_for(code, level), frozenset(roles.GRANT_RIGHTS[role_name])))
    return scopes


def _may_grant_here(scopes: list[tuple[str, frozenset[str]]], region_code: str, role_name: str) -> bool:
    return any(code_under(region_code, prefix) and role_name in grantable for prefix, grantable in scopes)


def _user_inside(scopes: list[tuple[str, frozenset[str]]], user: Any) -> bool:
    """Every assignment of the user (active or pending) lies inside the actor's grant area."""
    prefixes = [prefix for prefix, _ in scopes]
    codes = StaffAssignment.objects.filter(user_id=user.pk).values_list("region_code", flat=True)
    return all(code_within(code, prefixes) for code in codes)


def grant_refusal(*, actor: Any, user: Any, region: Region, role: Group) -> str | None:
    """Why ``actor`` may not give ``user`` ``role`` in ``region`` (Chinese), or None if they may."""
    if actor is None:
        return "授权须由登录的管理员操作"
    if actor.pk == user.pk:
        return "不能给自己授予角色"
    if actor.is_superuser:
        return None
    if user.is_superuser:
        return "不能给系统管理员（超级用户）分配角色"
    scopes = grant_scopes(actor)
    if not scopes:
        return "您的角色无权授予角色"
    if not any(role.name in grantable for _, grantable in scopes):
        return f"您无权授予“{role.name}”角色（只能授予低于本人角色的角色）"
    if not _may_grant_here(scopes, region.code, role.name):
        return f"辖区“{region.name}”不在您可授权的范围内"
    if not _user_inside(scopes, user):
        return f"用户 {user.username} 在您的辖区以外有角色分配，只能由其所在辖区或系统管理员授权"
    return None


def manage_refusal(*, actor: Any, user: Any) -> str | None:
    """Why ``actor`` may not manage ``user``'s account (password, active flag, name), or None.

    A non-superuser manages only accounts whose every role (active or pending) they could grant
    themselves, inside their grant area, and never one holding a four-eyes role (财务审核, 评估员,
    县级管理员, …): resetting such a password would let one person act as two. Nobody manages their
    own account here (they use 修改密码)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "请先登录"
    if actor.is_superuser:
        return None
    if actor.pk == user.pk:
        return "不能在后台修改本人账号；修改本人密码请使用“修改密码”"
    if user.is_superuser:
        return "不能修改系统管理员（超级用户）的账号"
    scopes = grant_scopes(actor)
    if not scopes:
        return "您的角色无权管理用户账号"
    held = list(StaffAssignment.objects.filter(user_id=user.pk).values_list("region_code", "role__name"))
    sensitive = roles.four_eyes_role_names()
    for code, role_name in held:
        if role_name in sensitive:
            return f"该用户担任“{role_name}”（双人复核角色），其账号只能由系统管理员管理"
        if not _may_grant_here(scopes, code, role_name):
            return f"该用户的角色“{role_name}”超出您的授权范围"
    return None


def _grant_detail(assignment: StaffAssignment) -> dict[str, Any]:
    return {
        "user": assignment.user.username, "user_id": assignment.user_id, "role": assignment.role.name,
        "region": assignment.region_code, "status": assignment.status,
        "granted_by": assignment.granted_by_id, "approved_by": assignment.approved_by_id,
    }


@transaction.atomic
def staff_assignment_create(*, actor, user, region: Region, role) -> StaffAssignment:
    """Give a user an area and a role, governed by roles.GRANT_RIGHTS (see grant_refusal).

    ``actor=None`` is the bootstrap path of commands and fixtures (no request, no person): the grant
    is active at once. A superuser's grant is active at once (the system operator; any four-eyes
    step still refuses an approver whose role they granted, regions.governance). A county
    administrator's grant of a four-eyes role is PENDING until a second administrator approves it."""
    if actor is not None:
        # One grant decision per grantee at a time: the rules read the grantee's other assignments.
        type(user).objects.select_for_update().filter(pk=user.pk).first()
        reason = grant_refusal(actor=actor, user=user, region=region, role=role)
        if reason:
            raise ValidationError(reason)
        if StaffAssignment.objects.filter(user=user, region=region, role=role).exists():
            raise ValidationError(f"{user.username} 在“{region.name}”已有“{role.name}”角色（或待批准的授权）")
    now = timezone.now()
    assignment = StaffAssignment(user=user, region=region, role=role)
    assignment.region_code = region.code
    if actor is not None:
        assignment.granted_by = actor
        pending = not actor.is_superuser and role.name in roles.four_eyes_role_names()
        assignment.status = StaffAssignment.Status.PENDING if pending else StaffAssignment.Status.ACTIVE
    if assignment.status == StaffAssignment.Status.ACTIVE:
        assignment.approved_at = now
    assignment.full_clean()
    assignment.save()
    sync_user_roles(user=user)
    record(actor=actor, event="regions.assignment_create", obj=assignment, region_code=region.code,
           detail=_grant_detail(assignment))
    return assignment


@transaction.atomic
def staff_assignment_approve(*, actor, assignment: StaffAssignment) -> StaffAssignment:
    """A second administrator puts a pending grant into force (row lock; checks it is still pending)."""
    from .governance import four_eyes_refusal

    assignment = StaffAssignment.objects.select_for_update().select_related("user", "role", "region").get(
        pk=assignment.pk
    )
    if assignment.status != StaffAssignment.Status.PENDING:
        raise ValidationError("该授权已生效，无需再次批准")
    reason = None
    if actor is None:
        reason = "批准须由登录的管理员操作"
    elif actor.pk == assignment.granted_by_id:
        reason = "不能批准本人提出的授权（须由另一名管理员批准）"
    elif actor.pk == assignment.user_id:
        reason = "不能批准给自己的授权"
    else:
        reason = grant_refusal(
            actor=actor, user=assignment.user, region=assignment.region, role=assignment.role,
        ) or four_eyes_refusal(approver=actor, participant_ids={assignment.granted_by_id})
    if reason:
        raise ValidationError(reason)
    assignment.status = StaffAssignment.Status.ACTIVE
    assignment.approved_by = actor
    assignment.approved_at = timezone.now()
    assignment.save(update_fields=["status", "approved_by", "approved_at"])
    sync_user_roles(user=assignment.user)
    record(actor=actor, event="regions.assignment_approve", obj=assignment, detail=_grant_detail(assignment))
    return assignment


@transaction.atomic
def staff_assignment_revoke(*, actor, assignment: StaffAssignment) -> None:
    """End a grant (or refuse a pending one): the row goes, the audit event keeps who had what."""
    assignment = StaffAssignment.objects.select_for_update().select_related("user", "role", "region").get(
        pk=assignment.pk
    )
    if actor is not None and not actor.is_superuser:
        scopes = grant_scopes(actor)
        if not _may_grant_here(scopes, assignment.region_code, assignment.role.name):
            raise ValidationError(f"您无权撤销“{assignment.role.name}”角色在“{assignment.region.name}”的分配")
    detail = _grant_detail(assignment)
    user = assignment.user
    record(actor=actor, event="regions.assignment_revoke", obj=assignment, detail=detail)
    assignment.delete()
    sync_user_roles(user=user)


def sync_user_roles(*, user) -> None:
    """Make the user's role groups match their ACTIVE assignments (other groups are left alone).

    ``is_staff`` (admin site access) follows the roles of roles.ADMIN_ROLES: gained with such a role,
    lost when the last one goes (a superuser keeps it)."""
    assigned = set(StaffAssignment.objects.active().filter(user=user).values_list("role_id", flat=True))
    role_groups = {g.pk: g for g in user.groups.model.objects.filter(name__in=roles.ROLE_NAMES)}
    current = set(user.groups.filter(pk__in=role_groups).values_list("pk", flat=True))
    if assigned - current:
        user.groups.add(*(assigned - current))
    stale = (current - assigned) & set(role_groups)
    if stale:
        user.groups.remove(*stale)
    admin_roles = {pk for pk, g in role_groups.items() if g.name in roles.ADMIN_ROLES}
    wants_staff = bool(assigned & admin_roles)
    lost_admin_role = bool(stale & admin_roles)
    if wants_staff and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    elif lost_admin_role and not wants_staff and user.is_staff and not user.is_superuser:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    forget_area_cache(user)
