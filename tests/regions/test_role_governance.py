"""Role administration as a governed action: who may grant what (roles.GRANT_RIGHTS), pending
grants of four-eyes roles, the second administrator, and the audit trail of every account change."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments import selectors as assessment_selectors
from audit.models import AuditEvent
from core.scoping import area_prefixes, forget_area_cache
from regions import roles, services
from regions.models import Region, StaffAssignment
from tests.concurrency import race, require_postgres
from tests.conftest import (
    COUNTY,
    OTHER_COUNTY,
    OTHER_COUNTY_VILLAGE,
    PASSWORD,
    TOWNSHIP,
    VILLAGE,
    make_staff,
)

User = get_user_model()


def role(name: str) -> Group:
    return Group.objects.get(name=name)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


@pytest.fixture
def second_admin(regions):
    """Another county administrator of 杨陵区: the second pair of eyes for grants."""
    return make_staff("county_admin_2", roles.COUNTY_ADMIN, COUNTY, is_staff=True)


@pytest.fixture
def linfen_worker(regions):
    return make_staff("linfen_worker", roles.VILLAGE_WORKER, OTHER_COUNTY_VILLAGE)


def events(name: str, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=name, **filters))


# --- the attacks --------------------------------------------------------------------------------


def test_attack_county_admin_grants_role_to_other_county_user(client, county_admin, linfen_worker, regions):
    client.force_login(county_admin)
    for granted in (roles.COUNTY_ADMIN, roles.VILLAGE_WORKER):
        response = client.post(reverse("admin:regions_staffassignment_add"), {
            "user": linfen_worker.pk, "region": regions[COUNTY].pk, "role": role(granted).pk,
        })
        assert response.status_code == 200  # the form again, with the reason
    html = response.content.decode()
    assert "在您的辖区以外有角色分配" in html
    assert list(StaffAssignment.objects.filter(user=linfen_worker).values_list("role__name", flat=True)) == [
        roles.VILLAGE_WORKER
    ]
    forget_area_cache(linfen_worker)
    assert area_prefixes(linfen_worker) == ["141002001001"]
    # The service refuses the same, whatever the caller.
    with pytest.raises(ValidationError, match="在您的辖区以外"):
        services.staff_assignment_create(
            actor=county_admin, user=linfen_worker, region=regions[VILLAGE], role=role(roles.VILLAGE_WORKER)
        )
    # And the county's own role, or a region of another county, is beyond a county administrator anyway.
    newcomer = make_staff("newcomer", None, None)
    with pytest.raises(ValidationError, match="无权授予“县级管理员”"):
        services.staff_assignment_create(actor=county_admin, user=newcomer, region=regions[COUNTY], role=role(roles.COUNTY_ADMIN))
    with pytest.raises(ValidationError, match="不在您可授权的范围内"):
        services.staff_assignment_create(
            actor=county_admin, user=newcomer, region=regions[OTHER_COUNTY], role=role(roles.VILLAGE_WORKER)
        )


def test_attack_self_grant_refused(client, county_admin, superuser, regions):
    client.force_login(county_admin)
    response = client.post(reverse("admin:regions_staffassignment_add"), {
        "user": county_admin.pk, "region": regions[COUNTY].pk, "role": role(roles.ASSESSOR).pk,
    })
    assert response.status_code == 200
    assert "不能给自己授予角色" in response.content.decode()
    assert not county_admin.groups.filter(name=roles.ASSESSOR).exists()
    for actor in (county_admin, superuser):
        with pytest.raises(ValidationError, match="不能给自己授予角色"):
            services.staff_assignment_create(actor=actor, user=actor, region=regions[COUNTY], role=role(roles.ASSESSOR))
    assert not StaffAssignment.objects.filter(user=county_admin, role__name=roles.ASSESSOR).exists()


def _user_change_post(user, **overrides):
    data = {
        "username": user.username, "first_name": user.first_name, "last_name": "", "email": "",
        "is_active": "on", "date_joined_0": "2026-11-25", "date_joined_1": "08:00:00",
        "assignments-TOTAL_FORMS": "0", "assignments-INITIAL_FORMS": "0",
        "assignments-MIN_NUM_FORMS": "0", "assignments-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_attack_is_staff_toggle_refused(client, county_admin, village_worker, superuser):
    client.force_login(county_admin)
    page = client.get(reverse("admin:auth_user_change", args=[village_worker.pk]))
    assert page.status_code == 200
    assert 'name="is_staff"' not in page.content.decode()
    response = client.post(
        reverse("admin:auth_user_change", args=[village_worker.pk]),
        _user_change_post(village_worker, first_name="改名", is_staff="on", is_superuser="on"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    village_worker.refresh_from_db()
    assert village_worker.first_name == "改名"  # the form itself worked…
    assert not village_worker.is_staff and not village_worker.is_superuser  # …the flags did not
    # The system operator may, and it is audited with who and what.
    client.force_login(superuser)
    client.post(
        reverse("admin:auth_user_change", args=[village_worker.pk]),
        _user_change_post(village_worker, is_staff="on"),
    )
    village_worker.refresh_from_db()
    assert village_worker.is_staff
    [event] = events("auth.user_flags", object_id=str(village_worker.pk))
    assert event.user == superuser and event.detail["changed"] == {"is_staff": [False, True]}


def test_attack_password_page_of_finance_reviewer(client, county_admin, finance_reviewer, assessor, village_worker):
    client.force_login(county_admin)
    for holder in (finance_reviewer, assessor):  # four-eyes roles: only the system operator resets them
        url = reverse("admin:auth_user_password_change", args=[holder.pk])
        assert client.get(url).status_code == 403
        response = client.post(url, {"password1": "puppet-password-2026", "password2": "puppet-password-2026",
                                     "usable_password": "true"})
        assert response.status_code == 403
        holder.refresh_from_db()
        assert holder.check_password(PASSWORD)
        # Their account page is read-only for the county administrator.
        change = client.get(reverse("admin:auth_user_change", args=[holder.pk]))
        assert change.status_code == 200 and 'name="first_name"' not in change.content.decode()
    # Nor their own account through the admin (that is 修改密码, which asks the old password).
    assert client.get(reverse("admin:auth_user_password_change", args=[county_admin.pk])).status_code == 403
    # A village worker of the county is the administrator's to help, and the reset is audited.
    url = reverse("admin:auth_user_password_change", args=[village_worker.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"password1": "village-new-pass-2026", "password2": "village-new-pass-2026",
                                 "usable_password": "true"})
    assert response.status_code == 302
    [event] = events("auth.password_change", object_id=str(village_worker.pk))
    assert event.user == county_admin and event.detail["by"] == "administrator"


def test_user_admin_with_two_assignments_opens(client, county_admin, superuser, regions):
    clerk = make_staff("two_hats", roles.VILLAGE_WORKER, VILLAGE)
    services.staff_assignment_create(actor=None, user=clerk, region=regions[TOWNSHIP], role=role(roles.TOWNSHIP_OFFICER))
    assert clerk.assignments.count() == 2
    for who in (county_admin, superuser):
        client.force_login(who)
        assert client.get(reverse("admin:auth_user_change", args=[clerk.pk])).status_code == 200
        assert client.get(reverse("admin:auth_user_password_change", args=[clerk.pk])).status_code == 200
        changelist = client.get(reverse("admin:auth_user_changelist"))
        assert changelist.content.decode().count(">two_hats<") == 1


# --- pending grants and the second administrator ----------------------------------------------------


def test_a_four_eyes_role_granted_by_a_county_admin_waits_for_a_second_admin(county_admin, second_admin, regions):
    newcomer = make_staff("new_assessor", None, None)
    grant = services.staff_assignment_create(
        actor=county_admin, user=newcomer, region=regions[COUNTY], role=role(roles.ASSESSOR)
    )
    assert grant.status == StaffAssignment.Status.PENDING and grant.granted_by == county_admin
    # Pending counts nowhere: no area, no group, not offered as an assessor.
    forget_area_cache(newcomer)
    assert area_prefixes(newcomer) == []
    assert not newcomer.groups.exists()
    assert not assessment_selectors.assessors_for(VILLAGE).filter(pk=newcomer.pk).exists()
    with pytest.raises(ValidationError, match="不能批准本人提出的授权"):
        services.staff_assignment_approve(actor=county_admin, assignment=grant)
    services.staff_assignment_approve(actor=second_admin, assignment=grant)
    grant.refresh_from_db()
    assert grant.status == StaffAssignment.Status.ACTIVE and grant.approved_by == second_admin
    forget_area_cache(newcomer)
    assert area_prefixes(newcomer) == ["610403"]
    assert newcomer.groups.filter(name=roles.ASSESSOR).exists()
    assert assessment_selectors.assessors_for(VILLAGE).filter(pk=newcomer.pk).exists()
    with pytest.raises(ValidationError, match="已生效"):
        services.staff_assignment_approve(actor=second_admin, assignment=grant)


def test_four_eyes_roles_are_derived_from_the_permissions(regions):
    assert roles.four_eyes_role_names() == {roles.COUNTY_ADMIN, roles.ASSESSOR, roles.FINANCE_REVIEWER}


def test_a_role_without_a_four_eyes_step_is_granted_at_once(county_admin, regions):
    newcomer = make_staff("new_worker", None, None)
    grant = services.staff_assignment_create(
        actor=county_admin, user=newcomer, region=regions[VILLAGE], role=role(roles.VILLAGE_WORKER)
    )
    assert grant.status == StaffAssignment.Status.ACTIVE
    assert newcomer.groups.filter(name=roles.VILLAGE_WORKER).exists()


def test_the_grantee_cannot_approve_their_own_pending_grant(county_admin, superuser, regions):
    newcomer = make_staff("new_fin", None, None)
    grant = services.staff_assignment_create(
        actor=county_admin, user=newcomer, region=regions[COUNTY], role=role(roles.FINANCE_REVIEWER)
    )
    with pytest.raises(ValidationError, match="不能批准给自己的授权"):
        services.staff_assignment_approve(actor=newcomer, assignment=grant)
    services.staff_assignment_approve(actor=superuser, assignment=grant)  # the operator is a second person
    assert StaffAssignment.objects.get(pk=grant.pk).status == StaffAssignment.Status.ACTIVE


def test_pending_grants_are_approved_with_the_admin_action(client, county_admin, second_admin, regions):
    newcomer = make_staff("new_fin2", None, None)
    client.force_login(county_admin)
    response = client.post(reverse("admin:regions_staffassignment_add"), {
        "user": newcomer.pk, "region": regions[COUNTY].pk, "role": role(roles.FINANCE_REVIEWER).pk,
    }, follow=True)
    assert "须由另一名管理员批准后生效" in response.content.decode()
    grant = StaffAssignment.objects.get(user=newcomer)
    assert grant.status == StaffAssignment.Status.PENDING
    changelist = reverse("admin:regions_staffassignment_changelist")
    response = client.post(changelist, {"action": "approve_selected", "_selected_action": [grant.pk]}, follow=True)
    assert "不能批准本人提出的授权" in response.content.decode()
    assert StaffAssignment.objects.get(pk=grant.pk).status == StaffAssignment.Status.PENDING
    client.force_login(second_admin)
    response = client.post(changelist, {"action": "approve_selected", "_selected_action": [grant.pk]}, follow=True)
    assert "已批准 1 项授权" in response.content.decode()
    assert StaffAssignment.objects.get(pk=grant.pk).approved_by == second_admin
    assert newcomer.groups.filter(name=roles.FINANCE_REVIEWER).exists()


def test_a_county_admin_revokes_only_what_they_could_grant(client, county_admin, second_admin, village_worker):
    client.force_login(county_admin)
    theirs = StaffAssignment.objects.get(user=second_admin)
    response = client.post(reverse("admin:regions_staffassignment_delete", args=[theirs.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert StaffAssignment.objects.filter(pk=theirs.pk).exists()
    worker_grant = StaffAssignment.objects.get(user=village_worker)
    response = client.post(reverse("admin:regions_staffassignment_delete", args=[worker_grant.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not StaffAssignment.objects.filter(pk=worker_grant.pk).exists()
    assert not village_worker.groups.exists()
    [event] = events("regions.assignment_revoke", object_id=str(worker_grant.pk))
    assert event.user == county_admin and event.detail["role"] == roles.VILLAGE_WORKER


def test_a_pending_grant_is_not_granted_twice_and_locks_the_account_page(client, county_admin, regions):
    """Grant a finance role (pending), then reset the grantee's password before anyone approves: no."""
    newcomer = make_staff("pending_fin", None, None)
    services.staff_assignment_create(
        actor=county_admin, user=newcomer, region=regions[COUNTY], role=role(roles.FINANCE_REVIEWER)
    )
    with pytest.raises(ValidationError, match="已有“财务审核”角色（或待批准的授权）"):
        services.staff_assignment_create(
            actor=county_admin, user=newcomer, region=regions[COUNTY], role=role(roles.FINANCE_REVIEWER)
        )
    client.force_login(county_admin)
    assert client.get(reverse("admin:auth_user_password_change", args=[newcomer.pk])).status_code == 403


# --- the audit trail ------------------------------------------------------------------------------------


def test_every_grant_approval_and_revoke_writes_an_audit_row(county_admin, second_admin, regions):
    newcomer = make_staff("audited", None, None)
    grant = services.staff_assignment_create(
        actor=county_admin, user=newcomer, region=regions[COUNTY], role=role(roles.ASSESSOR)
    )
    services.staff_assignment_approve(actor=second_admin, assignment=grant)
    services.staff_assignment_revoke(actor=second_admin, assignment=grant)
    rows = AuditEvent.objects.filter(object_type="regions.staffassignment", object_id=str(grant.pk)).order_by("id")
    assert [(e.event, e.user, e.detail["status"]) for e in rows] == [
        ("regions.assignment_create", county_admin, "pending"),
        ("regions.assignment_approve", second_admin, "active"),
        ("regions.assignment_revoke", second_admin, "active"),
    ]
    assert all(e.detail["user"] == "audited" and e.region_code == COUNTY for e in rows)


def test_user_creation_in_the_admin_writes_an_audit_row(client, county_admin):
    client.force_login(county_admin)
    response = client.post(reverse("admin:auth_user_add"), {
        "username": "fresh_clerk", "password1": "fresh-clerk-pass-2026", "password2": "fresh-clerk-pass-2026",
        "usable_password": "true",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    fresh = User.objects.get(username="fresh_clerk")
    [event] = events("auth.user_create", object_id=str(fresh.pk))
    assert event.user == county_admin and not event.detail["is_staff"]


def test_own_password_change_writes_an_audit_row(client, officer):
    client.force_login(officer)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "officer-new-pass-2026", "new_password2": "officer-new-pass-2026",
    })
    assert response.status_code == 302
    [event] = events("auth.password_change", object_id=str(officer.pk))
    assert event.user == officer and event.detail["by"] == "self"


def test_deactivating_an_account_writes_an_audit_row(client, county_admin, village_worker):
    client.force_login(county_admin)
    response = client.post(
        reverse("admin:auth_user_change", args=[village_worker.pk]), _user_change_post(village_worker, is_active=None)
    )
    assert response.status_code == 302
    [event] = events("auth.user_flags", object_id=str(village_worker.pk))
    assert event.user == county_admin and event.detail["changed"] == {"is_active": [True, False]}


# --- the race ---------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_approving_the_same_pending_grant_one_wins(regions):
    require_postgres()
    granter = make_staff("granter", roles.COUNTY_ADMIN, COUNTY, is_staff=True)
    a = make_staff("approver_a", roles.COUNTY_ADMIN, COUNTY, is_staff=True)
    b = make_staff("approver_b", roles.COUNTY_ADMIN, COUNTY, is_staff=True)
    newcomer = make_staff("raced", None, None)
    grant = services.staff_assignment_create(
        actor=granter, user=newcomer, region=region(COUNTY), role=role(roles.FINANCE_REVIEWER)
    )
    outcomes = race([
        lambda: services.staff_assignment_approve(actor=a, assignment=grant),
        lambda: services.staff_assignment_approve(actor=b, assignment=grant),
    ])
    assert outcomes == ["ValidationError: 该授权已生效，无需再次批准", "ok"]
    grant.refresh_from_db()
    assert grant.status == StaffAssignment.Status.ACTIVE and grant.approved_by in (a, b)
    assert AuditEvent.objects.filter(event="regions.assignment_approve", object_id=str(grant.pk)).count() == 1
    assert newcomer.groups.filter(name=roles.FINANCE_REVIEWER).count() == 1
