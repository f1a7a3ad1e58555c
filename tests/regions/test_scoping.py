"""The one scoping rule, seen from the registry."""

from core.scoping import minimal_prefixes
from registry.models import Elder


def test_officer_sees_only_their_township(officer, elder, neighbour_elder, far_elder):
    assert list(Elder.objects.visible_to(officer)) == [elder]


def test_county_admin_sees_every_township_of_the_county_but_not_other_counties(
    county_admin, elder, neighbour_elder, far_elder
):
    assert set(Elder.objects.visible_to(county_admin)) == {elder, neighbour_elder}


def test_user_without_assignment_sees_nothing(unassigned, elder):
    assert not Elder.objects.visible_to(unassigned).exists()


def test_inactive_user_sees_nothing_even_with_an_assignment(officer, elder):
    officer.is_active = False
    assert not Elder.objects.visible_to(officer).exists()


def test_superuser_sees_everything(superuser, elder, far_elder):
    assert set(Elder.objects.visible_to(superuser)) == {elder, far_elder}


def test_a_county_prefix_covers_its_townships():
    assert minimal_prefixes(["610403001", "610403", "141002001"]) == ["141002001", "610403"]


# --- visible_to(user, action), the resolver the regions app registers, the admin audit hook ---------


def test_the_action_needs_its_model_permission(officer, auditor, facility_manager, elder):
    from core.scoping import visible_to

    # an officer may view and change elders of the township; nobody approves an elder
    assert list(visible_to(Elder, officer, "view")) == [elder]
    assert list(Elder.objects.visible_to(officer, "change")) == [elder]
    assert not Elder.objects.visible_to(officer, "approve").exists()
    # the auditor views but does not change; a facility manager holds no elder permission at all
    assert list(Elder.objects.visible_to(auditor, "view")) == [elder]
    assert not Elder.objects.visible_to(auditor, "change").exists()
    assert not Elder.objects.visible_to(facility_manager, "view").exists()


def test_without_a_registered_area_resolver_nobody_but_a_superuser_sees_a_row(monkeypatch, officer, superuser, elder):
    from core import scoping

    monkeypatch.setattr(scoping, "_area_resolver", None)
    scoping.forget_area_cache(officer)
    assert not Elder.objects.visible_to(officer).exists()
    assert not Elder.objects.visible_to(officer, "view").exists()
    assert list(Elder.objects.visible_to(superuser)) == [elder]


def test_an_admin_write_is_refused_rather_than_left_out_of_the_audit_log(monkeypatch, rf, county_admin, elder):
    import pytest
    from django.contrib import admin as django_admin

    from core import admin as core_admin

    monkeypatch.setattr(core_admin, "_audit_writer", None)
    request = rf.post("/")
    request.user = county_admin
    with pytest.raises(RuntimeError):
        django_admin.site._registry[Elder].log_change(request, elder, [])
