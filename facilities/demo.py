"""Demo data for the facilities app (synthetic; called once at the end of `manage.py demo`).

Three facilities in 杨陵区 with beds, a few residents from the demo elders, a public waitlist, and
the demo `facility_manager` user granted the first facility — as a county administrator would in the admin.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from guardian.shortcuts import assign_perm

from registry.public import Elder
from regions.models import Region

from . import services
from .models import Facility

COUNTY = "610403"


@transaction.atomic
def load_demo(*, today: dt.date) -> str:
    """Creates the demo facilities once; a second run changes nothing. Returns a line for the console."""
    if Facility.objects.in_area(COUNTY).exists():
        return "养老机构：已存在，未重复创建"
    townships = list(Region.objects.in_area(COUNTY).filter(level="township").order_by("code")[:3])
    if len(townships) < 2:
        return "养老机构：缺少杨陵区乡镇区划，跳过"
    elders = Elder.objects.in_area(COUNTY).alive().filter(deceased_on__isnull=True).order_by("id")
    if not elders.exists():
        return "养老机构：没有演示老年人，跳过"
    actor = None  # the demo acts as the system
    home = services.facility_create(actor=actor, data={
        "name": "杨陵区社会福利院", "kind": "institution", "ownership": "public", "region": townships[0],
        "address": "杨陵区示范路1号（示例）", "credit_code": "12610403MB0000000X", "operator": "杨陵区民政局",
        "contact_name": "李主任", "contact_phone": "029-87000000", "filed": True, "filed_on": dt.date(2021, 3, 1),
        "fire_approved": True, "fire_approved_on": dt.date(2023, 5, 10), "medical_integration": "in_house",
        "has_dementia_zone": True, "accepted_residents": ["able", "partly_disabled", "fully_disabled", "tekun", "veteran"],
        "bed_fee_min": 600, "bed_fee_max": 1200, "care_fee_min": 300, "care_fee_max": 2400, "meal_fee_min": 450,
        "meal_fee_max": 600,
    })
    services.rating_add(actor=actor, facility=home, scheme="grade", level=3, rated_on=dt.date(2024, 4, 15),
                        rating_body="咸阳市民政局")
    rooms = [("101", "nursing", 4), ("102", "nursing", 4), ("201", "dementia", 2), ("202", "normal", 4)]
    beds = []
    for room, kind, count in rooms:
        beds += services.bed_create(actor=actor, facility=home, room=room, kind=kind, count=count)

    jingloyuan = services.facility_create(actor=actor, data={
        "name": f"{townships[1].name}敬老院", "kind": "tekun", "ownership": "public_private", "region": townships[1],
        "operator": "陕西某养老服务有限公司（示例）", "filed": True, "fire_approved": False,
        "medical_integration": "contracted", "accepted_residents": ["tekun", "able"],
    })
    services.rating_add(actor=actor, facility=jingloyuan, scheme="grade", level=1,
                        rated_on=today.replace(year=today.year - 3) + dt.timedelta(days=30), rating_body="咸阳市民政局")
    services.bed_create(actor=actor, facility=jingloyuan, room="1", kind="normal", count=4)
    services.bed_create(actor=actor, facility=jingloyuan, room="2", kind="nursing", count=2)

    day_care = services.facility_create(actor=actor, data={
        "name": f"{townships[0].name}日间照料中心", "kind": "day_care", "ownership": "public", "region": townships[0],
        "filed": True, "fire_approved": True, "accepted_residents": ["able", "partly_disabled"],
    })
    services.rating_add(actor=actor, facility=day_care, scheme="star", level=3, rated_on=dt.date(2025, 6, 1),
                        rating_body="杨陵区民政局")
    services.bed_create(actor=actor, facility=day_care, room="家庭", kind="nursing", location="home",
                        home_address="杨陵街道某社区（示例）")

    residents = list(elders[:5])
    for bed, elder in zip(beds, residents[:4]):
        services.admission_admit(actor=actor, bed=bed, elder=elder, admitted_on=today - dt.timedelta(days=60))
    rest = elders.exclude(pk__in=[e.pk for e in residents])
    applicants = (
        list(rest.filter(economic_status__in=["tekun_home", "tekun_inst"])[:2])
        + list(rest.filter(economic_status__in=["dibao", "dibao_edge", "hardship"])[:2])
        + list(rest.filter(economic_status="normal")[:1])
    )
    applicants += list(rest.exclude(pk__in=[e.pk for e in applicants])[: 5 - len(applicants)])
    for i, elder in enumerate(applicants):
        services.waitlist_apply(actor=actor, facility=home, elder=elder, applied_on=today - dt.timedelta(days=40 - i * 5))

    manager = get_user_model().objects.filter(username="facility_manager").first()
    if manager is not None:
        for perm in ("view_facility", "change_facility"):
            assign_perm(f"facilities.{perm}", manager, home)
    return f"养老机构：3 家（{home.name} 等），床位 {len(beds) + 7} 张，在住 4 人，轮候 5 人；facility_manager 管理 {home.name}"
