"""The authorization matrix of the Django admin: every registered model × every admin URL × every
persona × own-area / other-area object (issue 14: "the admin under the same rules as the portal").

Models come from ``admin.site._registry`` and their URLs from each ModelAdmin's URL patterns, so a
new ModelAdmin, or a new admin page (a history, an import, a guardian page), that is not classified
here fails ``test_every_admin_model_and_url_is_classified``. The policy is the portal's
(tests/test_authorization_matrix.py), with every persona given admin access (``is_staff``) — the
worst case, since any role may be made staff:

- anonymous → the admin's login page;
- without the model permission of the action → 403;
- an object outside the area → 404, the same answer as a missing one (never its data);
- otherwise 200; a historical version never accepts a POST (405), and a refused POST changes nothing.

The admins of regions/admin.py (users, role assignments) follow the same rules; who may grant what
and whose account a county administrator may manage are tested in tests/regions/test_role_governance.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import URLPattern, reverse

from core.admin import AdminRulesMixin
from core.scoping import code_in_area
from tests.conftest import COUNTY, OTHER_COUNTY, OTHER_COUNTY_VILLAGE, VILLAGE, make_staff
from tests.factories import HouseholdFactory

# --- objects: (own-area object, other-area object or None for shared/global data) ----------------


def _elders(request):
    return request.getfixturevalue("elder"), request.getfixturevalue("far_elder")


def _households(request):
    regions = request.getfixturevalue("regions")
    return HouseholdFactory(region=regions[VILLAGE]), HouseholdFactory(region=regions[OTHER_COUNTY_VILLAGE])


def _benefit(request):
    from eligibility.models import Benefit

    return Benefit.objects.create(code="matrix_local", name="本县项目", service_type="material",
                                  payment_kind="monthly", enrolment_mode="verified"), None


def _benefit_rules(request):
    from tests.factories import benefit_with_tiers

    request.getfixturevalue("regions")
    own = benefit_with_tiers("matrix_own").rules.first()
    other = benefit_with_tiers("matrix_far", county=OTHER_COUNTY).rules.first()
    return own, other


def _policy_parameters(request):
    from eligibility.models import PolicyParameter

    regions = request.getfixturevalue("regions")
    make = lambda code: PolicyParameter.objects.create(  # noqa: E731
        key="matrix_param", name="测试参数", jurisdiction=regions[code], value=Decimal("1"), effective_from=dt.date(2026, 1, 1))
    return make(COUNTY), make(OTHER_COUNTY)


def _enrolments(request):
    from tests.factories import benefit_with_tiers, elder_with_account, enrol

    request.getfixturevalue("regions")
    own = enrol(elder_with_account(VILLAGE), benefit_with_tiers("matrix_own"))
    other = enrol(elder_with_account(OTHER_COUNTY_VILLAGE), benefit_with_tiers("matrix_far", county=OTHER_COUNTY))
    return own, other


def _enrolment_events(request):
    own, other = _enrolments(request)
    return own.events.get(), other.events.get()


def _sweep_runs(request):
    from eligibility.models import SweepRun

    make = lambda code: SweepRun.objects.create(as_of=dt.date(2026, 11, 1), period=dt.date(2026, 11, 1), county_code=code)  # noqa: E731
    return make(COUNTY), make(OTHER_COUNTY)


def _assessments(request):
    from tests.assessments.helpers import matrix_assessments

    return matrix_assessments(request)


def _reassessment_requests(request):
    from assessments.models import ReassessmentRequest

    own, other = _elders(request)
    make = lambda e: ReassessmentRequest.objects.create(elder=e, region_code=e.region_code, reason="测试")  # noqa: E731
    return make(own), make(other)


def _assessment_policies(request):
    from assessments.models import AssessmentPolicy

    regions = request.getfixturevalue("regions")
    make = lambda code: AssessmentPolicy.objects.get_or_create(region=regions[code], defaults={"interval_months": 12})[0]  # noqa: E731
    return make(COUNTY), make(OTHER_COUNTY)


def _first(model_path: str):
    def build(request):
        from django.apps import apps

        return apps.get_model(model_path).objects.order_by("pk").first(), None

    return build


def _audit_events(request):
    from audit.services import record

    return record(actor=None, event="matrix.own", region_code=VILLAGE), record(
        actor=None, event="matrix.other", region_code=OTHER_COUNTY_VILLAGE)


def _targets(request):
    from dashboard.models import IndicatorTarget

    indicator = IndicatorTarget._meta.get_field("indicator").choices[0][0]
    make = lambda prefix, name: IndicatorTarget.objects.create(  # noqa: E731
        indicator=indicator, jurisdiction_prefix=prefix, jurisdiction_name=name, target=Decimal("50"))
    return make("610403", "杨陵区"), make("141002", "尧都区")


def _workforce(request):
    from dashboard.models import WorkforceCount

    regions = request.getfixturevalue("regions")
    kind = WorkforceCount._meta.get_field("kind").choices[0][0]
    make = lambda code: WorkforceCount.objects.create(kind=kind, region=regions[code], region_code=code,  # noqa: E731
                                                      as_of=dt.date(2026, 1, 1), count=3)
    return make(VILLAGE), make(OTHER_COUNTY_VILLAGE)


def _facilities(kind: str):
    def build(request):
        from tests.facilities.helpers import matrix_objects

        return matrix_objects(request, kind)

    return build


def _priority_rules(request):
    from facilities.models import PriorityRule

    regions = request.getfixturevalue("regions")
    make = lambda code: PriorityRule.objects.create(jurisdiction=regions[code], tier=3, name=f"{code}第3档")  # noqa: E731
    return make(COUNTY), make(OTHER_COUNTY)


def _import_batches(request):
    from tests.imports.helpers import matrix_batches

    return matrix_batches(request.getfixturevalue("settings"), request.getfixturevalue("tmp_path"))


def _payroll_runs(request):
    from tests.payouts.helpers import matrix_runs

    return matrix_runs(request)


def _payroll_lines(request):
    from tests.payouts.helpers import matrix_lines

    return matrix_lines(request)


def _visits(kind: str):
    def build(request):
        from tests.visits.helpers import matrix_objects

        return matrix_objects(request, kind)

    return build


def _visit_rules(request):
    from tests.factories import make_visit_rule

    request.getfixturevalue("regions")
    return make_visit_rule("M-OWN", COUNTY), make_visit_rule("M-FAR", OTHER_COUNTY)


def _visit_records(request):
    own, other = _visits("follow_up")(request)
    return own.record, other.record


def _visitor_assignments(request):
    from visits.models import VisitorAssignment

    own, other = _elders(request)
    visitor = get_user_model().objects.create_user(username=f"visitor-{uuid.uuid4().hex[:6]}")
    make = lambda e: VisitorAssignment.objects.create(elder=e, visitor=visitor, region_code=e.region_code)  # noqa: E731
    return make(own), make(other)


def _regions(request):
    regions = request.getfixturevalue("regions")
    return regions[VILLAGE], regions[OTHER_COUNTY_VILLAGE]


def _staff_assignments(request):
    from regions import roles

    own = make_staff("matrix_own_staff", roles.VILLAGE_WORKER, VILLAGE)
    other = make_staff("matrix_far_staff", roles.VILLAGE_WORKER, OTHER_COUNTY_VILLAGE)
    return own.assignments.get(), other.assignments.get()


def _users(request):
    own, other = _staff_assignments(request)
    return own.user, other.user


# --- the classification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminModel:
    scope: str  # "area": by region; "shared": no area (catalogue, instrument); "superuser": third-party tools
    objects: Callable | None = None
    refused: frozenset = frozenset()  # actions this admin refuses to everyone ("add", "change", "delete")
    view_needs: tuple[str, ...] = ()  # further permissions every page needs
    importable: bool = False
    extra: dict = field(default_factory=dict)


RO = frozenset({"add", "change", "delete"})
FACILITY_STAFF = ("facilities.view_facility",)

MODELS: dict[str, AdminModel] = {
    # registry, eligibility
    "registry.elder": AdminModel("area", _elders, importable=True),
    "registry.household": AdminModel("area", _households, importable=True),
    "eligibility.benefit": AdminModel("shared", _benefit),
    "eligibility.benefitrule": AdminModel("area", _benefit_rules),
    "eligibility.policyparameter": AdminModel("area", _policy_parameters),
    "eligibility.enrolment": AdminModel("area", _enrolments, refused=RO),
    "eligibility.enrolmentevent": AdminModel("area", _enrolment_events, refused=RO),
    "eligibility.sweeprun": AdminModel("area", _sweep_runs, refused=RO),
    # assessments
    "assessments.assessment": AdminModel("area", _assessments, refused=RO),
    "assessments.reassessmentrequest": AdminModel("area", _reassessment_requests, refused=RO),
    "assessments.assessmentpolicy": AdminModel("area", _assessment_policies),
    "assessments.item": AdminModel("shared", _first("assessments.Item"), refused=RO),
    "assessments.indicator": AdminModel("shared", _first("assessments.Indicator"), refused=RO),
    # audit, dashboard, imports, payouts
    "audit.auditevent": AdminModel("area", _audit_events, refused=RO),
    "dashboard.indicatortarget": AdminModel("area", _targets),
    "dashboard.workforcecount": AdminModel("area", _workforce),
    "imports.importbatch": AdminModel("area", _import_batches, refused=RO),
    "payouts.payrollrun": AdminModel("area", _payroll_runs, refused=RO),
    "payouts.payrollline": AdminModel("area", _payroll_lines, refused=RO),
    # facilities (area staff only: a manager's rights come from guardian grants, never the admin)
    "facilities.facility": AdminModel("area", _facilities("facility"), view_needs=FACILITY_STAFF),
    "facilities.bed": AdminModel("area", _facilities("bed"), refused=RO, view_needs=FACILITY_STAFF),
    "facilities.admission": AdminModel("area", _facilities("admission"), refused=RO, view_needs=FACILITY_STAFF),
    "facilities.waitlistapplication": AdminModel(
        "area", _facilities("waitlist_application"), refused=RO, view_needs=FACILITY_STAFF),
    "facilities.priorityrule": AdminModel("area", _priority_rules),
    # visits
    "visits.visitrule": AdminModel("area", _visit_rules),
    "visits.visitorassignment": AdminModel("area", _visitor_assignments),
    "visits.visit": AdminModel("area", _visits("visit")),
    "visits.visitrecord": AdminModel("area", _visit_records, refused=frozenset({"change"})),
    "visits.followup": AdminModel("area", _visits("follow_up")),
    # regions/admin.py: owned by the regions engineer (role grants); checked for leaks only
    "regions.region": AdminModel("area", _regions),  # only superusers hold add/change/delete
    "regions.staffassignment": AdminModel("area", _staff_assignments),
    "auth.user": AdminModel("area", _users),
    "regions.passwordchange": AdminModel("superuser", None, refused=RO),
    # third-party tools: no role holds a permission on them; superusers only
    "auth.group": AdminModel("superuser"),
    "axes.accessattempt": AdminModel("superuser", refused=frozenset({"add"})),
    "axes.accesslog": AdminModel("superuser", refused=frozenset({"add"})),
    "axes.accessfailurelog": AdminModel("superuser", refused=frozenset({"add"})),
    "django_celery_beat.periodictask": AdminModel("superuser"),
    "django_celery_beat.clockedschedule": AdminModel("superuser"),
    "django_celery_beat.crontabschedule": AdminModel("superuser"),
    "django_celery_beat.solarschedule": AdminModel("superuser"),
    "django_celery_beat.intervalschedule": AdminModel("superuser"),
}

# Every admin page of a model: (the action whose permission gates it, whether it takes an object)
URL_SUFFIXES: dict[str, tuple[str, bool]] = {
    "changelist": ("view", False),
    "add": ("add", False),
    "change": ("view", True),
    "delete": ("delete", True),
    "history": ("view", True),
    "simple_history": ("view", True),  # one historical version (django-simple-history)
    "import": ("import", False),  # django-import-export
    "process_import": ("import", False),
    "export": ("export", False),
    "permissions": ("grant", True),  # django-guardian object permissions
    "permissions_manage_user": ("grant", True),
    "permissions_manage_group": ("grant_group", True),
    "password_change": ("change", True),  # auth.user (regions/admin.py)
}
# Site-wide admin URLs, tested elsewhere: index/app_list list only what has_module_permission allows;
# autocomplete below; view_on_site redirects by content type (Django's shortcut, no data).
SITE_URLS = {"index", "login", "logout", "password_change", "password_change_done", "jsi18n", "app_list",
             "view_on_site", "autocomplete"}

PERSONAS = ["anonymous", "unassigned", "county_admin", "officer", "village_worker", "assessor",
            "finance_reviewer", "facility_manager", "auditor", "superuser"]


def model_url_names(model_admin) -> list[str | None]:
    opts = model_admin.model._meta
    prefix = f"{opts.app_label}_{opts.model_name}_"
    names = []
    for pattern in model_admin.get_urls():
        if isinstance(pattern, URLPattern):
            if pattern.name is None:
                continue  # Django's old-style "<id>/" redirect to the change page
            names.append(pattern.name.removeprefix(prefix))
    return names


def test_every_admin_model_and_url_is_classified():
    registered = {m._meta.label_lower: a for m, a in admin.site._registry.items()}
    unclassified = sorted(set(registered) - set(MODELS))
    assert not unclassified, f"classify these admin models in MODELS: {unclassified}"
    stale = sorted(set(MODELS) - set(registered))
    assert not stale, f"MODELS lists admins that no longer exist: {stale}"
    for label, model_admin in registered.items():
        unknown = sorted(set(model_url_names(model_admin)) - set(URL_SUFFIXES))
        assert not unknown, f"{label}: classify these admin pages in URL_SUFFIXES: {unknown}"
        entry = MODELS[label]
        if entry.scope != "superuser":
            assert isinstance(model_admin, AdminRulesMixin), (
                f"{label}: its ModelAdmin must inherit core.admin.ScopedAdminMixin / AdminRulesMixin")


def test_a_new_model_admin_without_classification_fails_the_check():
    from django.contrib.admin import ModelAdmin
    from django.contrib.admin.sites import AdminSite
    from django.contrib.contenttypes.models import ContentType

    site = AdminSite(name="probe")
    site.register(ContentType, ModelAdmin)
    original = admin.site._registry
    admin.site._registry = {**original, **site._registry}
    try:
        with pytest.raises(AssertionError, match="contenttypes.contenttype"):
            test_every_admin_model_and_url_is_classified()
    finally:
        admin.site._registry = original


def test_no_role_holds_a_permission_on_superuser_only_admins():
    from regions.roles import ROLE_PERMISSIONS

    superuser_only = {label for label, e in MODELS.items() if e.scope == "superuser"}
    for role, perms in ROLE_PERMISSIONS.items():
        for perm in perms:
            app, codename = perm.split(".", 1)
            model = codename.split("_", 1)[-1]
            assert f"{app}.{model}" not in superuser_only, f"{role} holds {perm}"


# --- expected answers ---------------------------------------------------------------------------------


def _allowed(entry: AdminModel, label: str, action: str, user) -> bool:
    app, model = label.split(".")
    if entry.scope == "superuser" or action == "grant_group":
        return user.is_superuser and action not in entry.refused and action != "grant_group"
    if not all(user.has_perm(p) for p in entry.view_needs):
        return False
    if action == "view":
        return user.has_perm(f"{app}.view_{model}") or user.has_perm(f"{app}.change_{model}")
    if action in ("add", "change", "delete"):
        return action not in entry.refused and user.has_perm(f"{app}.{action}_{model}")
    if action == "import":
        return user.has_perm("imports.add_importbatch") and user.has_perm(f"{app}.add_{model}") and user.has_perm(
            f"{app}.change_{model}")
    if action == "export":
        return user.has_perm("imports.export_rows") and user.has_perm(f"{app}.view_{model}")
    if action == "grant":
        return user.is_active and (user.is_superuser or user.has_perm("facilities.grant_facility_manager"))
    raise AssertionError(action)


def _url(name: str, suffix: str, obj, request):
    if suffix == "simple_history":
        return reverse(name, args=[obj.pk, obj.history.latest().history_id])
    if suffix == "permissions_manage_user":
        return reverse(name, args=[obj.pk, request.getfixturevalue("facility_manager").pk])
    if suffix == "permissions_manage_group":
        from django.contrib.auth.models import Group

        return reverse(name, args=[obj.pk, Group.objects.order_by("pk").first().pk])
    return reverse(name, args=[obj.pk] if obj is not None else [])


def _snapshot(obj):
    return list(type(obj)._default_manager.filter(pk=obj.pk).values())


CASES = sorted(MODELS)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("label", CASES)
def test_admin_matrix(label, persona, request, client, regions, settings):
    settings.AXES_ENABLED = False
    entry = MODELS[label]
    model_admin = next(a for m, a in admin.site._registry.items() if m._meta.label_lower == label)
    user = None
    if persona != "anonymous":
        user = request.getfixturevalue(persona)
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        user = get_user_model().objects.get(pk=user.pk)
        client.force_login(user)
    own, other = entry.objects(request) if entry.objects else (None, None)
    failures: list[str] = []

    def check(method: str, url: str, expected: set[int], *, data=None, hidden=None, shown=None):
        response = client.post(url, data or {}) if method == "post" else client.get(url)
        if response.status_code not in expected:
            failures.append(f"{persona} {method.upper()} {url}: {response.status_code}, expected {sorted(expected)}")
            return
        if user is None and response.status_code == 302:
            if not response["Location"].startswith(reverse("admin:login")):
                failures.append(f"anonymous {url}: redirected to {response['Location']}")
        body = response.content.decode(errors="replace") if response.status_code == 200 else ""
        if hidden and hidden in body:
            failures.append(f"{persona} {url}: shows another area's row ({hidden})")
        if shown and response.status_code == 200 and shown not in body:
            failures.append(f"{persona} {url}: does not list its own row ({shown})")

    opts = model_admin.model._meta
    for suffix in model_url_names(model_admin):
        action, takes_object = URL_SUFFIXES[suffix]
        name = f"admin:{opts.app_label}_{opts.model_name}_{suffix}"
        allowed = user is not None and _allowed(entry, label, action, user)
        denied = {302} if user is None else {403}
        if suffix in ("import", "process_import") and not entry.importable:
            continue
        if not takes_object:
            url = _url(name, suffix, None, request)
            if suffix == "process_import":
                # POST-only step of an import; without the permission it refuses, with it there is nothing to process
                check("post", url, denied if not allowed else {200, 302, 400})
                continue
            hidden = shown = None
            if suffix == "changelist" and other is not None and user is not None and not user.is_superuser:
                hidden = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[other.pk])
            if suffix == "changelist" and own is not None and allowed and not user.is_superuser:  # (paginated)
                shown = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[own.pk])
            check("get", url, {200} if allowed else denied, hidden=hidden, shown=shown)
            continue
        for where, obj in (("own", own), ("other", other)):
            if obj is None:
                continue
            url = _url(name, suffix, obj, request)
            if not allowed:
                expected = denied
            elif where == "other" and not user.is_superuser:
                expected = {404}
            else:
                expected = {200}
            if suffix == "permissions_manage_group" and user is not None:
                expected = {403} if user.is_superuser or not allowed else expected
            hidden = None
            if where == "other" and user is not None and not user.is_superuser:
                hidden = str(obj)
            check("get", url, expected, hidden=hidden)
            # Writes: a historical version never takes one; a refused change/delete changes nothing.
            if user is None or suffix not in ("change", "delete", "simple_history"):
                continue
            if suffix == "simple_history":
                refused = {405}
            else:
                write = "delete" if suffix == "delete" else "change"
                gate = _allowed(entry, label, "delete" if write == "delete" else "view", user)
                may = gate and write not in entry.refused and user.has_perm(f"{opts.app_label}.{write}_{opts.model_name}")
                if may and (where == "own" or user.is_superuser):
                    continue  # a permitted write: its own tests cover it
                if not gate:
                    refused = {403}  # the page's permission first…
                elif where == "other" and not user.is_superuser:
                    refused = {404}  # …then the area…
                else:
                    refused = {403}  # …then the write's permission
            before = _snapshot(obj)
            check("post", url, refused, data={"post": "yes"})
            if _snapshot(obj) != before:
                failures.append(f"{persona} POST {url}: the row changed")
    assert not failures, "\n".join(failures)


# --- autocomplete: what it offers stays inside the area -------------------------------------------------


AUTOCOMPLETE = sorted(
    (m._meta.label_lower, f)
    for m, a in admin.site._registry.items()
    for f in getattr(a, "autocomplete_fields", ())
)


@pytest.mark.parametrize("persona", ["county_admin", "officer", "village_worker", "auditor", "unassigned"])
@pytest.mark.parametrize(("label", "field_name"), AUTOCOMPLETE)
def test_admin_autocomplete_offers_only_the_area(label, field_name, persona, request, client, regions, settings):
    settings.AXES_ENABLED = False
    user = request.getfixturevalue(persona)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    _elders(request)
    _households(request)
    app_label, model_name = label.split(".")
    response = client.get(reverse("admin:autocomplete"), {
        "app_label": app_label, "model_name": model_name, "field_name": field_name, "term": ""})
    model = next(m for m in admin.site._registry if m._meta.label_lower == label)
    remote = model._meta.get_field(field_name).remote_field.model
    remote_perm = f"{remote._meta.app_label}.view_{remote._meta.model_name}"
    if not user.has_perm(remote_perm):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    ids = [r["id"] for r in response.json()["results"]]
    for obj in remote._default_manager.filter(pk__in=ids):
        if remote is get_user_model():  # a user's area is their assignments' (none yet: a new account)
            codes = list(obj.assignments.values_list("region_code", flat=True))
        else:
            codes = [getattr(obj, "region_code", None) or getattr(obj, "code", "")]
        assert all(code_in_area(user, c) for c in codes), f"{persona}: autocomplete {label}.{field_name} offers {obj} {codes}"
