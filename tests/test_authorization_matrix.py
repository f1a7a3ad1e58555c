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
    "eligibility:elder_list": Route("perm", ("registry.view_elder",)),
    "eligibility:elder_create": Route("perm", ("registry.add_elder",)),
    "eligibility:elder_detail": Route("object", ("registry.view_elder",), "elder"),
    "eligibility:elder_update": Route("object", ("registry.change_elder",), "elder"),
    "eligibility:elder_reveal_id": Route(
        "object", ("registry.view_elder", "registry.view_full_id_number"), "elder", method="post"
    ),
    "eligibility:household_detail": Route("object", ("registry.view_household",), "household"),
    "assessments:worklist": Route("perm", ("assessments.view_assessment",)),
    "assessments:elder": Route("object", ("assessments.view_assessment",), "elder"),
    "assessments:create": Route("object", ("assessments.add_assessment",), "elder"),
    "assessments:request_immediate": Route(
        "object", ("assessments.view_assessment", "assessments.add_reassessmentrequest"), "elder", method="post"
    ),
    "assessments:detail": Route("object", ("assessments.view_assessment",), "assessment"),
    "assessments:print": Route("object", ("assessments.view_assessment",), "assessment"),
    "assessments:update": Route("object", ("assessments.change_assessment",), "assessment"),
    "assessments:submit": Route(
        "object", ("assessments.view_assessment", "assessments.change_assessment"), "assessment", method="post"
    ),
    "assessments:approve": Route(
        "object", ("assessments.view_assessment", "assessments.approve_assessment"), "assessment", method="post"
    ),
    "assessments:return": Route(
        "object", ("assessments.view_assessment", "assessments.approve_assessment"), "assessment", method="post"
    ),
    "eligibility:worklist": Route("perm", ("eligibility.view_enrolment",)),
    "eligibility:worklist_decide": Route("perm", ("eligibility.view_enrolment", "eligibility.decide_enrolment"), method="post"),
    "eligibility:whatif": Route("perm", ("eligibility.change_benefitrule",)),
    "eligibility:enrolment_export": Route("perm", ("eligibility.view_enrolment",)),
    "imports:batch_list": Route("perm", ("imports.view_importbatch",)),
    "imports:upload": Route("perm", ("imports.add_importbatch",)),
    "imports:template": Route("perm", ("imports.add_importbatch",)),
    "imports:batch_detail": Route("object", ("imports.view_importbatch",), "import_batch"),
    "imports:batch_progress": Route("object", ("imports.view_importbatch",), "import_batch"),
    # the uploaded rows with full ID numbers: only for roles that may see full IDs
    "imports:batch_file": Route("object", ("imports.view_importbatch", "registry.view_full_id_number"), "import_batch"),
    "imports:batch_errors": Route("object", ("imports.view_importbatch", "registry.view_full_id_number"), "import_batch"),
    "imports:batch_confirm": Route(
        "object", ("imports.view_importbatch", "imports.add_importbatch"), "import_batch", method="post"
    ),
    "imports:batch_cancel": Route(
        "object", ("imports.view_importbatch", "imports.add_importbatch"), "import_batch", method="post"
    ),
    # facilities: a manager's access to an object comes from a guardian grant (tests/facilities/helpers.py
    # grants the facility_manager persona the own-area object's facility); more in tests/facilities/test_access.py
    "facilities:facility_list": Route("perm", ("facilities.use_facilities",)),
    "facilities:facility_create": Route("perm", ("facilities.use_facilities", "facilities.add_facility")),
    "facilities:indicators": Route("perm", ("facilities.use_facilities",)),
    "facilities:indicators_export": Route("perm", ("facilities.use_facilities",)),
    "facilities:facility_detail": Route("object", ("facilities.use_facilities",), "facility"),
    "facilities:facility_update": Route("object", ("facilities.use_facilities", "facilities.change_facility"), "facility"),
    "facilities:rating_create": Route("object", ("facilities.use_facilities", "facilities.add_rating"), "facility"),
    "facilities:bed_create": Route("object", ("facilities.use_facilities", "facilities.add_bed"), "facility"),
    "facilities:bed_labels": Route("object", ("facilities.use_facilities", "facilities.view_bed"), "facility"),
    "facilities:admit": Route("object", ("facilities.use_facilities", "facilities.add_admission"), "facility"),
    "facilities:waitlist": Route("object", ("facilities.use_facilities", "facilities.view_waitlistapplication"), "facility"),
    "facilities:waitlist_apply": Route("object", ("facilities.use_facilities", "facilities.add_waitlistapplication"), "facility"),
    "facilities:bed_status": Route("object", ("facilities.use_facilities", "facilities.change_bed"), "bed"),
    "facilities:discharge": Route("object", ("facilities.use_facilities", "facilities.change_admission"), "admission"),
    "facilities:transfer": Route("object", ("facilities.use_facilities", "facilities.change_admission"), "admission"),
    "facilities:waitlist_withdraw": Route(
        "object", ("facilities.use_facilities", "facilities.change_waitlistapplication"), "waitlist_application"
    ),
    # visits (探访关爱): objects from tests/visits/helpers.py; more in tests/visits/test_access.py
    "visits:my_visits": Route("perm", ("visits.view_visit",)),
    "visits:record": Route("object", ("visits.add_visitrecord",), "visit"),
    "visits:follow_ups": Route("perm", ("visits.view_followup",)),
    "visits:follow_up_close": Route("object", ("visits.change_followup",), "follow_up"),
    "visits:assignments": Route("perm", ("visits.view_visitorassignment",)),
    "visits:report": Route("perm", ("visits.view_visit_report",)),
    "visits:report_export": Route("perm", ("visits.view_visit_report",)),
    # payouts: county-wide runs (a township officer sees the county's runs but only their own lines)
    "payouts:run_list": Route("perm", ("payouts.view_payrollrun",)),
    "payouts:run_generate": Route("perm", ("payouts.add_payrollrun",)),
    "payouts:report": Route("perm", ("payouts.view_payrollrun",)),
    "payouts:run_detail": Route("object", ("payouts.view_payrollrun",), "payroll_run"),
    "payouts:run_lines": Route("object", ("payouts.view_payrollrun",), "payroll_run"),
    "payouts:run_submit": Route("object", ("payouts.view_payrollrun", "payouts.submit_payrollrun"), "payroll_run", method="post"),
    "payouts:run_return": Route("object", ("payouts.view_payrollrun", "payouts.approve_payrollrun"), "payroll_run", method="post"),
    "payouts:run_acknowledge": Route(
        "object", ("payouts.view_payrollrun", "payouts.approve_payrollrun"), "payroll_run", method="post"
    ),
    "payouts:run_approve": Route("object", ("payouts.view_payrollrun", "payouts.approve_payrollrun"), "payroll_run", method="post"),
    # POST produces the bank file (state change); GET only confirms, re-sends a produced file or the notice
    "payouts:run_export": Route(
        "object", ("payouts.view_payrollrun", "payouts.export_payrollrun"), "payroll_run", method="post"
    ),
    "payouts:run_reconcile": Route(
        "object", ("payouts.view_payrollrun", "payouts.reconcile_payrollrun"), "payroll_run", method="post"
    ),
    "payouts:run_close": Route("object", ("payouts.view_payrollrun", "payouts.reconcile_payrollrun"), "payroll_run", method="post"),
    "payouts:line_detail": Route("object", ("payouts.view_payrollline",), "payroll_line"),
    # dashboard (统计报表): aggregates of the user's area; sections follow the underlying view permissions
    "dashboard:statistics": Route("perm", ("dashboard.view_statistics",)),
    "dashboard:statistics_services": Route("perm", ("dashboard.view_statistics",)),
    "dashboard:statistics_beds": Route("perm", ("dashboard.view_statistics",)),
    "dashboard:indicators": Route("perm", ("dashboard.view_statistics",)),
    "dashboard:export": Route("perm", ("dashboard.view_statistics",)),
    "health": Route("perm", ("dashboard.view_health",)),
    "health_retry": Route("perm", ("dashboard.view_health",), method="post"),
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
    if kind == "assessment":
        from tests.assessments.helpers import matrix_assessments

        return matrix_assessments(request)
    if kind == "import_batch":
        from tests.imports.helpers import matrix_batches

        return matrix_batches(request.getfixturevalue("settings"), request.getfixturevalue("tmp_path"))
    if kind in ("facility", "bed", "admission", "waitlist_application"):
        from tests.facilities.helpers import matrix_objects

        return matrix_objects(request, kind)
    if kind in ("visit", "follow_up"):
        from tests.visits.helpers import matrix_objects as visit_objects

        return visit_objects(request, kind)
    if kind == "payroll_run":
        from tests.payouts.helpers import matrix_runs

        return matrix_runs(request)
    if kind == "payroll_line":
        from tests.payouts.helpers import matrix_lines

        return matrix_lines(request)
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
    assert village_worker.has_perm("registry.change_elder")
    assert not village_worker.has_perm("registry.add_elder")
    assert not auditor.has_perm("registry.change_elder")
    assert not auditor.has_perm("registry.view_full_id_number")
    assert not facility_manager.has_perm("registry.view_elder")
    assert officer.has_perm("registry.view_full_id_number")
    assert not assessor.has_perm("registry.view_full_id_number")


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
