"""Roles are Django groups with model permissions. This table is their default grant.

Groups are created by a migration; `sync_role_permissions` (run after every migrate) adds any
permission listed here that a group lacks, so later apps extend the table with their models. It
never removes a permission an administrator granted in the admin.
"""

from __future__ import annotations

COUNTY_ADMIN = "县级管理员"
TOWNSHIP_OFFICER = "乡镇(街道)经办人"
VILLAGE_WORKER = "村(社区)协管员"
ASSESSOR = "评估员"
FINANCE_REVIEWER = "财务审核"
FACILITY_MANAGER = "机构管理员"
AUDITOR = "监督(只读)"

ROLE_NAMES = (
    COUNTY_ADMIN,
    TOWNSHIP_OFFICER,
    VILLAGE_WORKER,
    ASSESSOR,
    FINANCE_REVIEWER,
    FACILITY_MANAGER,
    AUDITOR,
)

# Short keys for code, tests and the demo (usernames).
ROLE_KEYS = {
    "county_admin": COUNTY_ADMIN,
    "township_officer": TOWNSHIP_OFFICER,
    "village_worker": VILLAGE_WORKER,
    "assessor": ASSESSOR,
    "finance_reviewer": FINANCE_REVIEWER,
    "facility_manager": FACILITY_MANAGER,
    "auditor": AUDITOR,
}


def _crud(app: str, model: str, *actions: str) -> list[str]:
    return [f"{app}.{action}_{model}" for action in actions]


ALL = ("view", "add", "change", "delete")

ROLE_PERMISSIONS: dict[str, list[str]] = {
    COUNTY_ADMIN: [
        # assessments: review (审核) is the county's; the standard wants a reviewer other than the assessors
        "assessments.view_assessment",
        "assessments.approve_assessment",
        *_crud("assessments", "reassessmentrequest", "view", "add"),
        *_crud("assessments", "assessmentpolicy", *ALL),
        *_crud("registry", "elder", *ALL),
        *_crud("registry", "household", *ALL),
        "registry.view_full_id_number",
        *_crud("regions", "staffassignment", *ALL),
        "regions.view_region",
        "audit.view_auditevent",
        *_crud("auth", "user", "view", "add", "change"),
        # facilities: the registry, ratings, beds, admissions, waitlist; grants managers their facilities
        "facilities.use_facilities",
        "facilities.grant_facility_manager",
        *_crud("facilities", "facility", "view", "add", "change"),
        *_crud("facilities", "rating", "view", "add", "change"),
        *_crud("facilities", "bed", "view", "add", "change"),
        *_crud("facilities", "admission", "view", "add", "change"),
        *_crud("facilities", "waitlistapplication", "view", "add", "change"),
        *_crud("facilities", "priorityrule", "view", "add", "change"),
        *_crud("imports", "importbatch", "view", "add"),
        "imports.export_rows",
        *_crud("eligibility", "benefit", *ALL),
        *_crud("eligibility", "benefitrule", *ALL),
        *_crud("eligibility", "policyparameter", *ALL),
        "eligibility.view_enrolment",
        "eligibility.decide_enrolment",
        "eligibility.view_enrolmentevent",
        "eligibility.view_sweeprun",
        # payouts: the county generates and submits the monthly payroll; a finance reviewer approves it
        *_crud("payouts", "payrollrun", "view", "add"),
        "payouts.submit_payrollrun",
        "payouts.view_payrollline",
    ],
    TOWNSHIP_OFFICER: [
        "assessments.view_assessment",
        *_crud("assessments", "reassessmentrequest", "view", "add"),
        *_crud("registry", "elder", "view", "add", "change"),
        *_crud("registry", "household", "view", "add", "change"),
        "registry.view_full_id_number",
        "regions.view_region",
        *_crud("imports", "importbatch", "view", "add"),
        "eligibility.view_enrolment",
        "eligibility.decide_enrolment",
        # payouts: the township's own lines of the county's runs (PayrollLine.visible_to)
        "payouts.view_payrollrun",
        "payouts.view_payrollline",
        # facilities in the township: look, admit/discharge its elders, keep the public waitlist
        "facilities.use_facilities",
        "facilities.view_facility",
        "facilities.view_rating",
        "facilities.view_bed",
        *_crud("facilities", "admission", "view", "add", "change"),
        *_crud("facilities", "waitlistapplication", "view", "add", "change"),
    ],
    VILLAGE_WORKER: [
        *_crud("registry", "elder", "view", "change"),
        "registry.view_household",
        "eligibility.view_enrolment",
        "regions.view_region",
    ],
    ASSESSOR: [
        *_crud("assessments", "assessment", "view", "add", "change"),
        *_crud("assessments", "reassessmentrequest", "view", "add"),
        "registry.view_elder",
        "registry.view_household",
        "regions.view_region",
    ],
    FINANCE_REVIEWER: [
        # payouts: review (four eyes: never one's own submission), bank file, bank return file
        "payouts.view_payrollrun",
        "payouts.view_payrollline",
        "payouts.approve_payrollrun",
        "payouts.export_payrollrun",
        "payouts.reconcile_payrollrun",
        *_crud("imports", "importbatch", "view", "add"),  # the bank return file goes through the import engine
        "registry.view_elder",
        "registry.view_household",
        "eligibility.view_enrolment",
        "registry.view_full_id_number",
        "regions.view_region",
    ],
    FACILITY_MANAGER: [
        "regions.view_region",
        # What a manager may do *in a facility granted to them* (guardian object permission, given
        # by the county administrator in the admin). No view_facility here: that model permission
        # means "every facility in my area" (facilities.selectors.facilities_for).
        "facilities.use_facilities",
        "facilities.change_facility",
        "facilities.view_rating",
        *_crud("facilities", "bed", "view", "add", "change"),
        *_crud("facilities", "admission", "view", "add", "change"),
        *_crud("facilities", "waitlistapplication", "view", "add", "change"),
    ],
    AUDITOR: [
        "assessments.view_assessment",
        "assessments.view_reassessmentrequest",
        "assessments.view_assessmentpolicy",
        "registry.view_elder",
        "registry.view_household",
        "regions.view_region",
        "regions.view_staffassignment",
        "audit.view_auditevent",
        "imports.view_importbatch",
        "eligibility.view_enrolment",
        "eligibility.view_sweeprun",
        "facilities.use_facilities",
        *[f"facilities.view_{m}" for m in ("facility", "rating", "bed", "admission", "waitlistapplication", "priorityrule")],
    ],
}


# visits (探访关爱): the village worker records visits of their village; the township officer
# oversees (assigns visitors, closes referrals, reads the visit-rate report); the county edits rules.
_VISITS_READ = ["visits.view_visit", "visits.view_visitrecord", "visits.view_followup"]
ROLE_PERMISSIONS[COUNTY_ADMIN] += [
    *_VISITS_READ, "visits.add_visitrecord", "visits.change_followup", "visits.view_visit_report",
    *_crud("visits", "visitrule", *ALL), *_crud("visits", "visitorassignment", "view", "add", "change"),
]
ROLE_PERMISSIONS[TOWNSHIP_OFFICER] += [
    *_VISITS_READ, "visits.add_visitrecord", "visits.change_followup", "visits.view_visit_report",
    *_crud("visits", "visitorassignment", "view", "add", "change"),
]
ROLE_PERMISSIONS[VILLAGE_WORKER] += [*_VISITS_READ, "visits.add_visitrecord"]
ROLE_PERMISSIONS[AUDITOR] += [*_VISITS_READ, "visits.view_visit_report", "visits.view_visitrule", "visits.view_visitorassignment"]

# dashboard (统计报表): the area's statistics and indicators; the county keeps the indicator targets
# and enters the headcounts the registry does not hold (carers, social workers).
for _role in (COUNTY_ADMIN, TOWNSHIP_OFFICER, VILLAGE_WORKER, AUDITOR):
    ROLE_PERMISSIONS[_role].append("dashboard.view_statistics")
ROLE_PERMISSIONS[COUNTY_ADMIN] += [
    "dashboard.view_indicatortarget", "dashboard.change_indicatortarget", *_crud("dashboard", "workforcecount", *ALL),
]
ROLE_PERMISSIONS[AUDITOR] += ["dashboard.view_indicatortarget", "dashboard.view_workforcecount"]
# system health (运行状况): the county administrator sees the county's sweeps and batches and re-runs them
ROLE_PERMISSIONS[COUNTY_ADMIN] += ["dashboard.view_health", "eligibility.rerun_sweeprun"]


def sync_role_permissions(**kwargs) -> None:
    """post_migrate hook: make sure each role group has at least its default permissions."""
    from django.contrib.auth.models import Group, Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = set()
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            wanted.add((app_label, codename))
        existing = Permission.objects.filter(
            content_type__app_label__in={a for a, _ in wanted}, codename__in={c for _, c in wanted}
        ).select_related("content_type")
        found = [p for p in existing if (p.content_type.app_label, p.codename) in wanted]
        group.permissions.add(*found)


# Who may grant which roles (superusers aside: the system operator grants any role). Data, not code:
# a county administrator grants only roles below their own, inside the area of that assignment
# (regions.services.grant_refusal). Nobody grants the role they grant with, so one county
# administrator can never make another — that takes the system operator.
GRANT_RIGHTS: dict[str, tuple[str, ...]] = {
    COUNTY_ADMIN: (TOWNSHIP_OFFICER, VILLAGE_WORKER, ASSESSOR, FINANCE_REVIEWER, FACILITY_MANAGER, AUDITOR),
}

# Actions on an object that a four-eyes step governs: whoever may make, change, submit or approve
# an object whose model has an ``approve_*`` permission takes part in a four-eyes step.
FOUR_EYES_ACTIONS = ("approve", "add", "change", "submit")


def four_eyes_role_names() -> set[str]:
    """The roles whose grant needs a second administrator, derived from the groups' permissions in
    the database (an administrator who adds an approve_* permission to a group makes it one) and
    from GRANT_RIGHTS (a role that grants roles is one too)."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    approved_models = Permission.objects.filter(codename__startswith="approve_").values("content_type")
    action_q = Q()
    for action in FOUR_EYES_ACTIONS:
        action_q |= Q(permissions__codename__startswith=f"{action}_")
    names = set(
        Group.objects.filter(name__in=ROLE_NAMES)
        .filter(action_q, permissions__content_type__in=approved_models)
        .values_list("name", flat=True)
    )
    return names | set(GRANT_RIGHTS)

# Roles whose holders work in the admin site: the grant gives ``is_staff`` (regions.services.sync_user_roles).
ADMIN_ROLES = tuple(GRANT_RIGHTS)
