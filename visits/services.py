"""State changes of visits and care (探访关爱). One function per use case, keyword-only, atomic,
each writes its audit row (docs/contributing.md rules 6 and 6a)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from audit.services import record as audit
from core.codes import county_code12
from core.locks import try_xact_lock, visit_schedule_lock
from core.scoping import code_in_area, code_under, code_under_q
from eligibility.public import compile_criteria
from registry.public import CareSetting, Elder
from regions.models import Region

from . import rules
from .models import FollowUp, Mode, Visit, VisitorAssignment, VisitorKind, VisitRecord, VisitRule

DEFAULT_RULES = Path(__file__).resolve().parent / "data" / "default_rules.json"
S = Visit.Status
OPEN = list(Visit.OPEN_STATUSES)

REASON_DECEASED = "老人已去世，未完成的探访取消"
REASON_MOVED = "老人已迁出，未完成的探访取消"
REASON_INSTITUTION = "老人已入住养老机构，未完成的探访取消"
REASON_RULE = "不再符合该探访规则（条件、频次或规则有效期变化）"


class ScheduleBusy(RuntimeError):
    """Another schedule run of the same county holds the lock."""


# ---------------------------------------------------------------------------------------------
# Rules as data


def visit_rules_load(*, actor: Any = None, path: Path = DEFAULT_RULES) -> dict[str, int]:
    """Create or update the shipped default rules (Linfen, Nantong, Yangling) by (jurisdiction, code).

    Rules of a jurisdiction whose region is not loaded are skipped and counted. Safe to rerun."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    counts = {"created": 0, "updated": 0, "skipped": 0}
    with transaction.atomic():
        for item in data["rules"]:
            region = Region.objects.filter(code=item["jurisdiction"]).first()
            if region is None:
                counts["skipped"] += 1
                continue
            values = {k: item[k] for k in (
                "name", "criteria", "frequency", "times", "risk_tier", "modes", "in_person_monthly", "source"
            )}
            values["effective_from"] = dt.date.fromisoformat(item["effective_from"])
            values["effective_to"] = dt.date.fromisoformat(item["effective_to"]) if item.get("effective_to") else None
            rule = VisitRule.objects.filter(jurisdiction=region, code=item["code"]).first()
            created = rule is None
            rule = rule or VisitRule(jurisdiction=region, code=item["code"])
            for key, value in values.items():
                setattr(rule, key, value)
            rule.region_code = region.code
            rule.full_clean()
            rule.save()
            counts["created" if created else "updated"] += 1
        audit(actor=actor, event="visits.rules_loaded", detail={"path": Path(path).name, **counts})
    return counts


def applicable_rules(county_code: str, on: dt.date) -> list[VisitRule]:
    """Rules of the county, its city and province (or of an area inside the county) in force on ``on``."""
    code = county_code12(county_code)
    prefix = code[:6]
    above = [code[:2] + "0" * 10, code[:4] + "0" * 8, code]
    return list(
        VisitRule.objects.filter(Q(region_code__in=above) | code_under_q("region_code", prefix))
        .filter(effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .select_related("jurisdiction")
        .order_by("pk")
    )


def in_scope_q() -> Q:
    """Elders who can be visited at home: alive, not moved out, not living in an institution."""
    return Q(deceased_on__isnull=True, moved_out_on__isnull=True) & ~Q(care_setting=CareSetting.INSTITUTION)


# ---------------------------------------------------------------------------------------------
# The nightly schedule


@dataclass
class ScheduleResult:
    county_code: str
    as_of: dt.date
    horizon: dt.date
    elders: int = 0
    created: int = 0
    overdue: int = 0
    cancelled: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "county": self.county_code, "as_of": self.as_of.isoformat(), "horizon": self.horizon.isoformat(),
            "elders": self.elders, "created": self.created, "overdue": self.overdue, "cancelled": self.cancelled,
        }


def _rule_strength(rule: VisitRule) -> tuple[float, int]:
    # The most frequent rule wins, whatever its level: a county may add visits but never offer fewer
    # than its city or province asks (「不得低于」). At equal frequency the most local rule decides.
    return (rules.visits_per_year(rule.frequency, rule.times), len(rule.jurisdiction.prefix))


def schedule_county(*, as_of: dt.date, county_code: str) -> ScheduleResult:
    """Lay out the due visits of one county from ``as_of`` to the end of the next month.

    Guarantees: one Visit per (elder, rule, due date) whatever runs twice (unique constraint +
    ``ignore_conflicts``); open visits already past their due date become overdue; open visits of
    elders who died, moved out or entered an institution are cancelled with that reason, and future
    pending visits no rule asks for any more are cancelled; completed visits are never touched.
    The county commits as one transaction under a named advisory lock. Elders are selected with the
    compiled rule criteria, one query per rule."""
    code = county_code12(county_code)
    prefix = code[:6]
    end = rules.horizon(as_of)
    result = ScheduleResult(county_code=code, as_of=as_of, horizon=end)
    with transaction.atomic():
        if not try_xact_lock(visit_schedule_lock(code)):
            raise ScheduleBusy(f"{code} 的探访排期正在运行")
        county_visits = Visit.objects.in_area(prefix)

        # 1. who is in scope, under which rule (strongest wins)
        best: dict[int, tuple[VisitRule, str]] = {}
        period = rules.month_start(as_of)
        for rule in sorted(applicable_rules(code, as_of), key=_rule_strength, reverse=True):
            area = rule.jurisdiction.prefix if code_under(rule.jurisdiction.prefix, prefix) else prefix
            matches = (
                Elder.objects.in_area(area)
                .filter(in_scope_q(), compile_criteria(rule.criteria, period=period, start="same_month"))
                .values_list("id", "region_code")
            )
            for elder_id, region_code in matches:
                if elder_id not in best:  # sorted strongest first
                    best[elder_id] = (rule, region_code)
        result.elders = len(best)

        # 2. the due visits (rows built only for matching elders; conflicts ignored → idempotent)
        visitors = dict(VisitorAssignment.objects.in_area(prefix).values_list("elder_id", "visitor_id"))
        windows: dict[int, list[rules.Window]] = {}
        wanted: set[tuple[int, int, dt.date]] = set()
        rows = []
        for elder_id, (rule, region_code) in best.items():
            if rule.pk not in windows:
                windows[rule.pk] = rules.windows_between(rule.frequency, rule.times, as_of, end)
            for w in windows[rule.pk]:
                wanted.add((elder_id, rule.pk, w.due_on))
                rows.append(Visit(
                    elder_id=elder_id, rule_id=rule.pk, region_code=region_code, starts_on=w.starts_on,
                    due_on=w.due_on, visitor_id=visitors.get(elder_id),
                ))
        before = county_visits.count()
        Visit.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        result.created = county_visits.count() - before

        # 3. elders who left scope: every open visit is cancelled with the reason
        for reason, condition in (
            (REASON_DECEASED, Q(elder__deceased_on__isnull=False)),
            (REASON_MOVED, Q(elder__moved_out_on__isnull=False)),
            (REASON_INSTITUTION, Q(elder__care_setting=CareSetting.INSTITUTION)),
        ):
            ids = county_visits.filter(condition, status__in=OPEN).values("pk")
            n = Visit.objects.filter(pk__in=Subquery(ids)).update(
                status=S.CANCELLED, cancelled_reason=reason, updated_at=timezone.now()
            )
            if n:
                result.cancelled[reason] = n

        # 4. future pending visits no rule asks for any more (criteria, frequency or validity changed)
        stale = [
            pk for pk, elder_id, rule_id, due_on in county_visits.filter(status=S.PENDING, due_on__gte=as_of)
            .values_list("pk", "elder_id", "rule_id", "due_on").iterator(chunk_size=2000)
            if (elder_id, rule_id, due_on) not in wanted
        ]
        for i in range(0, len(stale), 500):
            Visit.objects.filter(pk__in=stale[i:i + 500]).update(
                status=S.CANCELLED, cancelled_reason=REASON_RULE, updated_at=timezone.now()
            )
        if stale:
            result.cancelled[REASON_RULE] = len(stale)

        # 5. an elder re-registered in another village of the county: open visits follow them
        #    (their region_code decides who sees them)
        moved = county_visits.filter(status__in=OPEN).exclude(region_code=F("elder__region_code")).values("pk")
        Visit.objects.filter(pk__in=Subquery(moved)).update(
            region_code=Subquery(Elder.objects.filter(pk=OuterRef("elder_id")).values("region_code")[:1]),
            updated_at=timezone.now(),
        )

        # 6. missed: pending visits whose last day has passed
        result.overdue = county_visits.filter(status=S.PENDING, due_on__lt=as_of).update(
            status=S.OVERDUE, updated_at=timezone.now()
        )
        audit(actor=None, event="visits.schedule", region_code=code, detail=result.as_dict())
    return result


def counties_with_rules_or_visits() -> list[str]:
    """Counties the nightly task works on: those with elders (as the sweep does)."""
    from eligibility.public import counties_with_elders

    return counties_with_elders()


# ---------------------------------------------------------------------------------------------
# Assignment


def visitor_assign_bulk(
    *, actor: Any, village: Region, visitor: Any, kind: str = "village_worker", only_unassigned: bool = True
) -> int:
    """Make ``visitor`` the responsible visitor of the village's elders who have open visits (all of
    them, or only those without a visitor). Their open visits move to the new visitor.
    Returns how many elders were assigned."""
    if village.level != Region.Level.VILLAGE:
        raise ValidationError("请选择村(社区)")
    if not code_in_area(actor, village.code):
        raise ValidationError("该村(社区)不在您的管辖区域内")
    if not visitor.is_active or not code_in_area(visitor, village.code) or visitor.is_superuser:
        raise ValidationError(f"{visitor} 的辖区不包含 {village.name}，不能担任该村的探访人")
    if kind not in VisitorKind.values:
        raise ValidationError("未知的探访人类别")
    with transaction.atomic():
        elders = Elder.objects.in_area(village.code).filter(
            in_scope_q(), pk__in=Subquery(Visit.objects.in_area(village.code).filter(status__in=OPEN).values("elder_id"))
        )
        if only_unassigned:
            elders = elders.filter(visitor_assignment__isnull=True)
        ids = list(elders.values_list("pk", "region_code"))
        now = timezone.now()
        VisitorAssignment.objects.bulk_create(
            [VisitorAssignment(elder_id=pk, visitor=visitor, kind=kind, region_code=code, assigned_by=actor
                               if getattr(actor, "is_authenticated", False) else None, assigned_at=now)
             for pk, code in ids],
            update_conflicts=True, unique_fields=["elder"], update_fields=["visitor", "kind", "region_code", "assigned_by", "assigned_at"],
            batch_size=1000,
        )
        Visit.objects.in_area(village.code).filter(
            status__in=OPEN,
            elder_id__in=Subquery(VisitorAssignment.objects.in_area(village.code).filter(visitor=visitor).values("elder_id")),
        ).update(visitor=visitor)
        audit(actor=actor, event="visits.assign_bulk", region_code=village.code,
              detail={"visitor": visitor.username, "kind": kind, "elders": len(ids), "only_unassigned": only_unassigned})
    return len(ids)


# ---------------------------------------------------------------------------------------------
# Recording


@dataclass
class RecordOutcome:
    record: VisitRecord
    created: bool
    flags: list[str]


def _in_person_problem(visit: Visit, mode: str, when: dt.datetime) -> str | None:
    """The monthly in-person rule: if the elder has no in-person visit this month yet and no other open
    visit left in the month to make it, a phone/video visit is refused; otherwise it is flagged."""
    if not visit.rule.in_person_monthly or mode == Mode.HOME:
        return None
    day = timezone.localtime(when).date()
    first, last = rules.month_start(day), rules.month_end(day)
    done = VisitRecord.objects.filter(
        elder_id=visit.elder_id, mode=Mode.HOME, visited_at__date__gte=first, visited_at__date__lte=last
    ).exists()
    if done:
        return None
    later = Visit.objects.filter(
        elder_id=visit.elder_id, status__in=OPEN, due_on__gte=day, starts_on__lte=last
    ).exclude(pk=visit.pk).exists()
    return "flag" if later else "refuse"


def visit_record_create(
    *,
    actor: Any,
    visit: Visit,
    idempotency_key: uuid.UUID | str,
    visited_at: dt.datetime,
    mode: str,
    people_present: list[str] | None = None,
    checklists: dict[str, list[str]] | None = None,
    notes: str = "",
    risk_level: str = "low",
    referrals: list[tuple[str, str]] | None = None,
) -> RecordOutcome:
    """Record a visit. The same idempotency key always yields the same single record (a double
    submit or a retry returns the first one, created=False). Refused with a ValidationError: a time
    in the future, an elder outside the actor's area, a closed visit, a mode the rule does not allow,
    and a phone/video visit when the rule's monthly in-person visit could no longer be made.
    Each referral opens a FollowUp for the township."""
    key = uuid.UUID(str(idempotency_key))
    existing = VisitRecord.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.visit_id != visit.pk:
            raise ValidationError("提交标识已被另一条探访记录使用，请刷新页面后重新填写")
        return RecordOutcome(existing, False, list(existing.flags))
    if not code_in_area(actor, visit.region_code):
        raise ValidationError("该老人不在您的管辖区域内，不能登记探访")
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    if visited_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"visited_at": "探访时间不能晚于当前时间"})
    try:
        with transaction.atomic():
            visit = Visit.objects.select_for_update().select_related("rule", "elder").get(pk=visit.pk)
            if visit.status == S.DONE:
                raise ValidationError("这次探访已经登记过了")
            if visit.status == S.CANCELLED:
                raise ValidationError(f"这次探访已取消：{visit.cancelled_reason}")
            if mode not in (visit.rule.modes or []):
                allowed = "、".join(Mode(m).label for m in visit.rule.modes)
                raise ValidationError({"mode": f"该老人的探访规则只允许：{allowed}"})
            flags: list[str] = []
            problem = _in_person_problem(visit, mode, visited_at)
            if problem == "refuse":
                raise ValidationError({"mode": "该老人的探访规则要求每月至少一次上门探访，本月尚未上门且没有其他待探访任务，请选择“上门”"})
            if problem == "flag":
                flags.append("本月尚未上门探访：该规则要求每月至少一次上门，请在本月内安排上门")
            if timezone.localtime(visited_at).date() < visit.starts_on - dt.timedelta(days=31):
                flags.append("探访时间早于本次探访周期")
            rec = VisitRecord(
                visit=visit, elder_id=visit.elder_id, region_code=visit.region_code, recorded_by=actor,
                visited_at=visited_at, mode=mode, people_present=list(people_present or []),
                checklists=dict(checklists or {}), notes=notes, risk_level=risk_level, flags=flags,
                idempotency_key=key,
            )
            rec.full_clean(exclude=["visit", "elder", "recorded_by"])
            rec.save()
            visit.status = S.DONE
            visit.save(update_fields=["status", "updated_at"])
            kinds_seen = set()
            for kind, note in referrals or []:
                if kind in kinds_seen:
                    continue
                kinds_seen.add(kind)
                fu = FollowUp(record=rec, elder_id=visit.elder_id, region_code=visit.region_code, kind=kind,
                              note=note[:300], created_by=actor)
                fu.full_clean(exclude=["record", "elder", "created_by"])
                fu.save()
            audit(actor=actor, event="visits.record", obj=rec,
                  detail={"visit": visit.pk, "mode": mode, "risk": risk_level, "referrals": sorted(kinds_seen), "flags": flags})
    except IntegrityError:
        # the same key raced in from a second request: the first one won
        existing = VisitRecord.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return RecordOutcome(existing, False, list(existing.flags))
    return RecordOutcome(rec, True, flags)


def follow_up_close(*, actor: Any, follow_up: FollowUp, note: str = "") -> FollowUp:
    """Close an open follow-up (办结). Closing twice is refused."""
    if not code_in_area(actor, follow_up.region_code):
        raise ValidationError("该事项不在您的管辖区域内")
    with transaction.atomic():
        fu = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if fu.status == FollowUp.Status.CLOSED:
            raise ValidationError("该事项已办结")
        fu.status = FollowUp.Status.CLOSED
        fu.closed_by = actor
        fu.closed_at = timezone.now()
        fu.closing_note = note[:300]
        fu.full_clean()
        fu.save()
        audit(actor=actor, event="visits.follow_up_close", obj=fu, detail={"kind": fu.kind})
    return fu


def visits_for_elder_counts(qs: QuerySet) -> dict[str, int]:
    """Counts by status (small helper for pages and the demo)."""
    return dict(qs.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
