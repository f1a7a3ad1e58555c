"""Read queries shared by views, exports and the demo. Every staff read goes through the one door,
``Facility.objects.visible_to(user, action)`` (core.scoping; ``facilities_for`` names it here):

- area staff (county admin, township officer, auditor) see facilities inside their area when their
  role holds the model permission `facilities.view_facility`;
- a facility manager (机构管理员) holds no area-wide facility permission; the county administrator
  grants them django-guardian object permissions on their own facilities (view_facility to look,
  change_facility to manage beds, admissions and the waitlist), which the same queryset includes
  (``FacilityQuerySet``). Inactive users get nothing (guardian alone would still return their
  objects).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Substr
from guardian.shortcuts import get_objects_for_user

from regions.models import Region

from . import rules
from .choices import NURSING_KINDS, PUBLIC_OWNERSHIPS, BedLocation, BedStatus, WaitlistStatus
from .models import Admission, Bed, Facility, PriorityRule, Rating, WaitlistApplication

VIEW = "facilities.view_facility"
CHANGE = "facilities.change_facility"


def _granted(user: Any, *, write: bool) -> QuerySet:
    perms = [CHANGE] if write else [VIEW, CHANGE]
    return get_objects_for_user(
        user, perms, klass=Facility, any_perm=True, with_superuser=False, accept_global_perms=False
    )


def facilities_for(user: Any, *, write: bool = False) -> QuerySet:
    """Facilities a user may see (write=False) or manage (write=True); fails closed.

    write=True keeps a manager's view-only grants out; for area staff the action's own model
    permission (add_bed, add_admission …) is checked by the caller (views/services).
    """
    return Facility.objects.visible_to(user, "change" if write else "view")


def is_granted_manager(user: Any, facility: Facility) -> bool:
    """Whether the user manages this facility through a guardian grant (not through their area)."""
    if not user.is_active:
        return False
    return _granted(user, write=True).filter(pk=facility.pk).exists()


def beds_for(user: Any, *, write: bool = False) -> QuerySet:
    return Bed.objects.filter(facility__in=facilities_for(user, write=write))


def admissions_for(user: Any, *, write: bool = False) -> QuerySet:
    return Admission.objects.filter(facility__in=facilities_for(user, write=write))


def applications_for(user: Any, *, write: bool = False) -> QuerySet:
    return WaitlistApplication.objects.filter(facility__in=facilities_for(user, write=write))


def latest_rating_subquery(field: str) -> Subquery:
    return Subquery(Rating.objects.filter(facility=OuterRef("pk")).order_by("-rated_on", "-id").values(field)[:1])


def facility_list(user: Any) -> QuerySet:
    """The facility list before its filters (filters.FacilityFilterSet): the user's facilities with
    bed counts and the current rating."""
    qs = facilities_for(user).select_related("region", "region__parent")
    return with_bed_counts(qs).annotate(
        rating_scheme=latest_rating_subquery("scheme"),
        rating_level=latest_rating_subquery("level"),
        rating_expires_on=latest_rating_subquery("expires_on"),
    ).order_by("region_code", "name", "id")


def with_bed_counts(qs: QuerySet) -> QuerySet:
    """Per-facility bed counts in one grouped query (no Python loop over beds)."""
    in_facility = Q(beds__location=BedLocation.FACILITY)
    return qs.annotate(
        beds_total=Count("beds", filter=in_facility, distinct=True),
        beds_nursing=Count("beds", filter=in_facility & Q(beds__kind__in=NURSING_KINDS), distinct=True),
        beds_occupied=Count("beds", filter=in_facility & Q(beds__status=BedStatus.OCCUPIED), distinct=True),
        beds_home=Count("beds", filter=Q(beds__location=BedLocation.HOME), distinct=True),
    )


def open_admissions(facility: Facility) -> QuerySet:
    return (
        Admission.objects.filter(facility=facility, discharged_on__isnull=True)
        .select_related("elder", "elder__region", "bed")
        .order_by("bed__room", "bed__code")
    )


# --- waitlist ---------------------------------------------------------------------------------


def effective_priority_rules(region_code: str) -> list[PriorityRule]:
    """The active priority tiers for a facility in ``region_code``: the defaults (no jurisdiction),
    each tier replaced by the most specific row of the province, city or county covering the code
    (an inactive row there switches the tier off for that area). Ordered by tier."""
    covering = [region_code[:n].ljust(12, "0") for n in (2, 4, 6)] if region_code else []
    rank = {"": 0, **{code: i + 1 for i, code in enumerate(covering)}}
    rows = PriorityRule.objects.filter(Q(region_code="") | Q(region_code__in=covering)).select_related("jurisdiction")
    chosen: dict[int, PriorityRule] = {}
    for row in sorted(rows, key=lambda r: rank[r.region_code]):
        chosen[row.tier] = row
    return [row for tier, row in sorted(chosen.items()) if row.active]


def priority_rules(region_code: str = "") -> list[rules.Rule]:
    return [r.as_rule() for r in effective_priority_rules(region_code)]


def applicant_of(application: WaitlistApplication) -> rules.Applicant:
    e = application.elder
    return rules.Applicant(
        id=application.pk,
        applied_on=application.applied_on,
        economic_status=e.economic_status,
        birth_date=e.birth_date,
        ability_level=e.ability_level,
        living_arrangement=e.living_arrangement,
        special_family=e.special_family,
        has_disability=e.disability_grade is not None,
        veteran_category=e.veteran_category,
        wants_centralised=application.wants_centralised,
    )


@dataclass
class WaitlistRow:
    application: WaitlistApplication
    position: int
    tier: int
    tier_name: str
    reason: str


def waitlist(facility: Facility, *, today: dt.date) -> list[WaitlistRow]:
    """The facility's waiting applications in admission order, each with its position and why.

    A waitlist is short (tens to hundreds), so ordering in Python with the pure rule is fine; the
    rule itself is rules.order_waitlist, hypothesis-tested.
    """
    apps = {
        a.pk: a
        for a in WaitlistApplication.objects.filter(facility=facility, status=WaitlistStatus.WAITING).select_related(
            "elder", "elder__region"
        )
    }
    ranked = rules.order_waitlist([applicant_of(a) for a in apps.values()], priority_rules(facility.region_code), today)
    return [WaitlistRow(apps[r.applicant.id], r.position, r.tier, r.tier_name, r.reason) for r in ranked]


def waitlist_position(application: WaitlistApplication, *, today: dt.date) -> WaitlistRow | None:
    for row in waitlist(application.facility, today=today):
        if row.application.pk == application.pk:
            return row
    return None


# --- indicators -------------------------------------------------------------------------------


def _bed_totals(beds: QuerySet) -> dict:
    in_facility = Q(location=BedLocation.FACILITY)
    return beds.aggregate(
        total=Count("id", filter=in_facility),
        nursing=Count("id", filter=in_facility & Q(kind__in=NURSING_KINDS)),
        occupied=Count("id", filter=in_facility & Q(status=BedStatus.OCCUPIED)),
        disabled=Count("id", filter=in_facility & Q(status=BedStatus.DISABLED)),
        home=Count("id", filter=Q(location=BedLocation.HOME)),
    )


def share(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * (part or 0) / whole, 1) if whole else None


def indicators(user: Any, *, today: dt.date, target_percent: float) -> dict:
    """Beds, nursing-type share against the target, occupancy and residents by ability level, per
    facility, per township and for the whole visible area — grouped queries only."""
    facilities = facilities_for(user)
    per_facility = list(
        with_bed_counts(facilities.select_related("region"))
        .annotate(
            rating_scheme=latest_rating_subquery("scheme"),
            rating_level=latest_rating_subquery("level"),
            rating_expires_on=latest_rating_subquery("expires_on"),
        )
        .order_by("region_code", "name", "id")
    )
    residents = (
        Admission.objects.filter(facility__in=facilities, discharged_on__isnull=True)
        .values("facility_id", "elder__ability_level")
        .annotate(n=Count("id"))
    )
    by_level: dict[int, dict] = {}
    for row in residents:  # one row per (facility, level): tens, not thousands
        by_level.setdefault(row["facility_id"], {})[row["elder__ability_level"]] = row["n"]
    for f in per_facility:
        f.residents_by_level = by_level.get(f.pk, {})
        f.nursing_share = share(f.beds_nursing, f.beds_total)
        f.occupancy = share(f.beds_occupied, f.beds_total)
        f.meets_target = None if f.nursing_share is None else f.nursing_share >= target_percent
        f.rating_status = rules.rating_status(f.rating_expires_on, today) if f.rating_expires_on else ""

    beds = Bed.objects.filter(facility__in=facilities)
    townships = list(
        beds.annotate(township=Substr("region_code", 1, 9))
        .values("township")
        .annotate(
            total=Count("id", filter=Q(location=BedLocation.FACILITY)),
            nursing=Count("id", filter=Q(location=BedLocation.FACILITY, kind__in=NURSING_KINDS)),
            occupied=Count("id", filter=Q(location=BedLocation.FACILITY, status=BedStatus.OCCUPIED)),
            home=Count("id", filter=Q(location=BedLocation.HOME)),
            facilities=Count("facility", distinct=True),
        )
        .order_by("township")
    )
    names = dict(
        Region.objects.filter(code__in=[t["township"] + "000" for t in townships]).values_list("code", "name")
    )
    for t in townships:
        t["name"] = names.get(t["township"] + "000", t["township"])
        t["nursing_share"] = share(t["nursing"], t["total"])
        t["occupancy"] = share(t["occupied"], t["total"])

    total = _bed_totals(beds)
    total["nursing_share"] = share(total["nursing"], total["total"])
    total["occupancy"] = share(total["occupied"], total["total"])
    public_beds = _bed_totals(beds.filter(facility__ownership__in=PUBLIC_OWNERSHIPS))
    total["public_total"] = public_beds["total"]
    total["public_nursing_share"] = share(public_beds["nursing"], public_beds["total"])
    total["residents"] = sum(sum(v.values()) for v in by_level.values())
    level_totals: dict[Any, int] = {}
    for levels in by_level.values():
        for level, n in levels.items():
            level_totals[level] = level_totals.get(level, 0) + n
    total["residents_by_level"] = level_totals

    return {
        "facilities": per_facility,
        "townships": townships,
        "total": total,
        "no_fire_approval": [f for f in per_facility if not f.fire_approved],
        "rating_flags": [f for f in per_facility if f.rating_status in ("expiring", "expired")],
        "target_percent": target_percent,
    }




ABILITY_LEVELS: list[tuple[int | None, str]] = [
    (0, "能力完好"), (1, "轻度失能"), (2, "中度失能"), (3, "重度失能"), (4, "完全失能"), (None, "未评估"),
]
