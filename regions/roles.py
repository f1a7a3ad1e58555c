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
        *_crud("eligibility", "elder", *ALL),
        *_crud("eligibility", "household", *ALL),
        "eligibility.view_full_id_number",
        *_crud("regions", "staffassignment", *ALL),
        "regions.view_region",
        "audit.view_auditevent",
        *_crud("auth", "user", "view", "add", "change"),
    ],
    TOWNSHIP_OFFICER: [
        *_crud("eligibility", "elder", "view", "add", "change"),
        *_crud("eligibility", "household", "view", "add", "change"),
        "eligibility.view_full_id_number",
        "regions.view_region",
    ],
    VILLAGE_WORKER: [
        *_crud("eligibility", "elder", "view", "change"),
        "eligibility.view_household",
        "regions.view_region",
    ],
    ASSESSOR: [
        "eligibility.view_elder",
        "eligibility.view_household",
        "regions.view_region",
    ],
    FINANCE_REVIEWER: [
        "eligibility.view_elder",
        "eligibility.view_household",
        "eligibility.view_full_id_number",
        "regions.view_region",
    ],
    FACILITY_MANAGER: [
        "regions.view_region",
    ],
    AUDITOR: [
        "eligibility.view_elder",
        "eligibility.view_household",
        "regions.view_region",
        "regions.view_staffassignment",
        "audit.view_auditevent",
    ],
}


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
