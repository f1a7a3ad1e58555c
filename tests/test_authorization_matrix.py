"""The authorization matrix: every staff URL × every role × own-area / other-area object.

URL patterns are enumerated from the resolver, so a new view that is not classified in ROUTES
fails `test_every_staff_url_is_classified`. The expected status follows the policy:
anonymous → login redirect; no model permission → 403; object outside the area → 404 (the same
answer as a missing object); otherwise 200.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import HouseholdFactory


@dataclass(frozen=True)
class Route:
    kind: str  # "login_page" | "login" | "perm" | "object"
    perms: tuple[str, ...] = ()
    obj: str = ""  # which object kind the URL takes ("elder", "household")
    method: str = "get"


LOGIN = Route("login")

# Every named URL of the staff portal, classified. The admin has its own tests (tests/test_admin.py).
ROUTES: dict[str, Route] = {
    "login": Route("login_page"),  # signed-in users are sent on to the home page
    "logout": Route("login", method="post"),
    "password_change": LOGIN,
    "password_change_done": LOGIN,
    "home": LOGIN,
    "regions:area_picker": LOGIN,
    "eligibility:elder_list": Route("perm", ("eligibility.view_elder",)),
    "eligibility:elder_create": Route("perm", ("eligibility.add_elder",)),
    "eligibility:elder_detail": Route("object", ("eligibility.view_elder",), "elder"),
    "eligibility:elder_update": Route("object", ("eligibility.change_elder",), "elder"),
    "eligibility:elder_reveal_id": Route(
        "object", ("eligibility.view_elder", "eligibility.view_full_id_number"), "elder", method="post"
    ),
    "eligibility:household_detail": Route("object", ("eligibility.view_household",), "household"),
}

EXCLUDED_NAMESPACES = {"admin"}

PERSONAS = [
    "anonymous",
    "unassigned",
    "county_admin",
    "officer",
    "village_worker",
    "assessor",
    "finance_reviewer",
    "facility_manager",
    "auditor",
    "superuser",
]


def _walk(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            if ns in EXCLUDED_NAMESPACES:
                continue
            yield from _walk(p.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(p, URLPattern):
            yield (f"{namespace}{p.name}" if p.name else None), p


def staff_url_names() -> list[str | None]:
    return [name for name, _ in _walk(get_resolver().url_patterns)]


def test_every_staff_url_is_classified():
    names = staff_url_names()
    assert None not in names, "every URL pattern needs a name so the matrix can classify it"
    unclassified = sorted(set(names) - set(ROUTES))
    assert not unclassified, f"classify these URLs in ROUTES: {unclassified}"
    stale = sorted(set(ROUTES) - set(names))
    assert not stale, f"ROUTES lists URLs that no longer exist: {stale}"


def _objects(request, kind: str):
    """(own-area object, other-area object) for an object kind."""
    regions = request.getfixturevalue("regions")
    if kind == "elder":
        return request.getfixturevalue("elder"), request.getfixturevalue("far_elder")
    if kind == "household":
        from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE

        return (
            HouseholdFactory(region=regions[VILLAGE]),
            HouseholdFactory(region=regions[OTHER_COUNTY_VILLAGE]),
        )
    raise AssertionError(kind)


def _expected(route: Route, user, where: str) -> int:
    if route.kind == "login_page":
        return 200 if user is None else 302
    if user is None:
        return 302
    if route.kind == "login":
        return 302 if route.method == "post" else 200
    if route.kind == "perm":
        return 200 if user.has_perm(route.perms[0]) and all(user.has_perm(p) for p in route.perms) else 403
    # object: the first permission gates the page; the area decides 404; further permissions → 403
    if not user.has_perm(route.perms[0]):
        return 403
    if where == "other" and not user.is_superuser:
        return 404
    return 200 if all(user.has_perm(p) for p in route.perms) else 403


CASES = [
    (name, where)
    for name, route in sorted(ROUTES.items())
    for where in (("own", "other") if route.kind == "object" else ("-",))
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("name", "where"), CASES)
def test_matrix(name, where, persona, request, client, regions, settings):
    settings.AXES_ENABLED = False
    route = ROUTES[name]
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    if user is not None:
        client.force_login(user)
    args = []
    if route.kind == "object":
        own, other = _objects(request, route.obj)
        args = [(own if where == "own" else other).pk]
    url = reverse(name, args=args)
    response = client.post(url) if route.method == "post" else client.get(url)
    expected = _expected(route, user, where)
    assert response.status_code == expected, f"{persona} {route.method.upper()} {url}: {response.status_code}"
    if expected == 302 and user is None and route.kind != "login_page":
        assert response["Location"].startswith(reverse("login"))


def test_policy_spot_checks(village_worker, auditor, facility_manager, officer, assessor):
    """The role table itself, in the words of the policy (so a careless grant fails here)."""
    assert village_worker.has_perm("eligibility.change_elder")
    assert not village_worker.has_perm("eligibility.add_elder")
    assert not auditor.has_perm("eligibility.change_elder")
    assert not auditor.has_perm("eligibility.view_full_id_number")
    assert not facility_manager.has_perm("eligibility.view_elder")
    assert officer.has_perm("eligibility.view_full_id_number")
    assert not assessor.has_perm("eligibility.view_full_id_number")


def test_edit_form_never_shows_the_full_id_to_roles_that_may_not_see_it(client, village_worker, officer, elder):
    client.force_login(village_worker)
    html = client.get(reverse("eligibility:elder_update", args=[elder.pk])).content.decode()
    assert elder.id_number not in html and elder.masked_id_number in html
    client.force_login(officer)
    assert elder.id_number in client.get(reverse("eligibility:elder_update", args=[elder.pk])).content.decode()


def test_forbidden_and_missing_pages_explain_themselves_in_chinese(client, unassigned, officer, far_elder):
    client.force_login(unassigned)
    forbidden = client.get(reverse("eligibility:elder_list"))
    assert forbidden.status_code == 403
    html = forbidden.content.decode()
    assert "无权访问" in html and "您的账号尚未分配管辖区域" in html
    client.force_login(officer)
    missing = client.get(reverse("eligibility:elder_detail", args=[far_elder.pk]))
    assert missing.status_code == 404 and "不在您的管辖区域内" in missing.content.decode()


def test_opening_the_edit_form_with_the_full_id_is_logged_as_a_reveal(client, officer, elder):
    from audit.models import AuditEvent

    client.force_login(officer)
    client.get(reverse("eligibility:elder_update", args=[elder.pk]))
    assert AuditEvent.objects.filter(event="eligibility.reveal_id_number", user=officer, object_id=str(elder.pk)).exists()
