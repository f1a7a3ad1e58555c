"""A database migrated forward from the last schema before the registry split keeps every row (issue #16).

The test database is taken back to the migrations on main before the split (elders and households
in the eligibility app), filled through the models as they were then, and migrated forward: every
row is still there through today's models, and the role that could see elders and full ID numbers
still can, now as ``registry.view_elder`` and ``registry.view_full_id_number``. One content type is
also created early under its new label, as a ``migrate`` that stopped half-way would leave it; its
permission and the group holding it are merged into the old one.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from guardian.core import ObjectPermissionChecker
from guardian.models import UserObjectPermission

from eligibility.models import Enrolment
from registry.models import Elder, Household
from visits.models import VisitorAssignment

# The leaf migration of every app that the split touches, as on main before it; registry: none.
BEFORE_SPLIT = [
    ("eligibility", "0011_sweeprun_task_id_rerun"),
    ("assessments", "0004_assessment_source"),
    ("facilities", "0003_priorityrule_per_area"),
    ("payouts", "0003_bank_file_and_immutable_lines"),
    ("visits", "0002_schedule_beat"),
    ("registry", None),
]

ID_NUMBER = "610403194407081236"


def _migrate(targets):
    """Migrate the test database to ``targets``; the models as they are there."""
    executor = MigrationExecutor(connection)
    return executor.migrate(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _populate(old):
    """Rows of every kind the split moves or re-points, written through the pre-split models."""
    ContentType_ = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    Group_ = old.get_model("auth", "Group")
    User = old.get_model("auth", "User")
    Region = old.get_model("regions", "Region")
    Household_ = old.get_model("eligibility", "Household")
    Elder_ = old.get_model("eligibility", "Elder")
    HistoricalElder = old.get_model("eligibility", "HistoricalElder")
    Benefit = old.get_model("eligibility", "Benefit")
    BenefitRule = old.get_model("eligibility", "BenefitRule")
    Enrolment_ = old.get_model("eligibility", "Enrolment")
    VisitorAssignment_ = old.get_model("visits", "VisitorAssignment")
    UserObjectPermission_ = old.get_model("guardian", "UserObjectPermission")
    LogEntry_ = old.get_model("admin", "LogEntry")

    county = Region.objects.create(code="619990000000", name="杨陵区(迁移测试)", level="county")
    village = Region.objects.create(code="619990001001", name="迁移村", level="village", parent=county)
    household = Household_.objects.create(household_number="M-001", region=village, region_code=village.code)
    elder = Elder_.objects.create(
        id_number=ID_NUMBER, name="迁移老人", sex="M", birth_date=dt.date(1944, 7, 8), region=village,
        region_code=village.code, household=household,
    )
    HistoricalElder.objects.create(
        id=elder.pk, id_number=ID_NUMBER, name="迁移老人", sex="M", birth_date=elder.birth_date, region=village,
        region_code=village.code, household=household, created_at=timezone.now(), history_date=timezone.now(),
        history_type="+",
    )
    benefit = Benefit.objects.create(
        code="migration-test", name="迁移测试津贴", service_type="subsidy", payment_kind="cash", enrolment_mode="auto",
    )
    rule = BenefitRule.objects.create(benefit=benefit, jurisdiction=county, effective_from=dt.date(2020, 1, 1))
    Enrolment_.objects.create(
        elder=elder, benefit=benefit, rule=rule, status="active", reason="迁移测试", region_code=village.code,
    )
    clerk = User.objects.create(username="migration-clerk")
    VisitorAssignment_.objects.create(elder=elder, visitor=clerk, region_code=village.code)

    elder_type, _ = ContentType_.objects.get_or_create(app_label="eligibility", model="elder")
    household_type, _ = ContentType_.objects.get_or_create(app_label="eligibility", model="household")
    perms = {}
    for codename, content_type in [
        ("view_elder", elder_type), ("view_full_id_number", elder_type), ("change_elder", elder_type),
        ("view_household", household_type),
    ]:
        perms[codename], _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": codename}
        )
    group = Group_.objects.create(name="迁移测试角色")
    group.permissions.add(perms["view_elder"], perms["view_full_id_number"], perms["view_household"])
    clerk.user_permissions.add(perms["view_elder"])
    UserObjectPermission_.objects.create(
        user=clerk, permission=perms["change_elder"], content_type=elder_type, object_pk=str(elder.pk)
    )
    LogEntry_.objects.create(
        user=clerk, content_type=elder_type, object_id=str(elder.pk), object_repr="迁移老人", action_flag=2,
        action_time=timezone.now(),
    )

    # A registry content type for Elder already there (post_migrate of an interrupted migrate), with
    # its own copy of change_elder held by a second group.
    early_type = ContentType_.objects.create(app_label="registry", model="elder")
    early_perm = Permission.objects.create(content_type=early_type, codename="change_elder", name="change_elder")
    Group_.objects.create(name="迁移测试角色二").permissions.add(early_perm)
    return elder.pk, household.pk, clerk.pk


@pytest.mark.django_db(transaction=True)
def test_a_database_migrated_forward_from_before_the_split_keeps_every_row():
    latest = _latest()
    try:
        old = _migrate(BEFORE_SPLIT)
        # The test database was created at the latest state: its registry content types now carry
        # the eligibility label again (registry 0002 backwards); start from a clean slate for them.
        old.get_model("contenttypes", "ContentType").objects.filter(app_label="registry").delete()
        elder_pk, household_pk, clerk_pk = _populate(old)

        _migrate(latest)
        ContentType.objects.clear_cache()

        elder = Elder.objects.get(pk=elder_pk)
        assert (elder.id_number, elder.household_id, elder.region.code) == (ID_NUMBER, household_pk, "619990001001")
        assert Household.objects.get(pk=household_pk).household_number == "M-001"
        assert list(elder.history.values_list("name", flat=True)) == ["迁移老人"]
        assert Enrolment.objects.get(elder=elder).reason == "迁移测试"
        assert VisitorAssignment.objects.get(elder=elder).visitor_id == clerk_pk

        elder_type = ContentType.objects.get_for_model(Elder)
        assert elder_type.app_label == "registry"
        assert not ContentType.objects.filter(app_label="eligibility", model__in=["elder", "household"]).exists()
        assert ContentType.objects.filter(app_label="registry", model="elder").count() == 1

        group = Group.objects.get(name="迁移测试角色")
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == {"registry.view_elder", "registry.view_full_id_number", "registry.view_household"}
        merged = Group.objects.get(name="迁移测试角色二")
        assert [f"{p.content_type.app_label}.{p.codename}" for p in merged.permissions.all()] == ["registry.change_elder"]

        clerk = get_user_model().objects.get(pk=clerk_pk)
        assert clerk.has_perm("registry.view_elder")
        assert UserObjectPermission.objects.get(user=clerk).content_type == elder_type
        assert ObjectPermissionChecker(clerk).has_perm("change_elder", elder)
        assert LogEntry.objects.get(user=clerk).get_edited_object() == elder
    finally:
        _migrate(latest)
        ContentType.objects.clear_cache()
