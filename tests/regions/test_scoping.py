"""The one scoping rule, seen from the registry."""

from eligibility.models import Elder
from core.scoping import minimal_prefixes


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
