"""The Django admin for county administrators: same scoping, no privilege escalation."""

from __future__ import annotations

import json
import re

from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from registry.models import Elder
from regions import roles
from regions.models import Region, StaffAssignment
from tests.conftest import COUNTY, OTHER_COUNTY, OTHER_COUNTY_VILLAGE, VILLAGE, make_staff
from tests.factories import HouseholdFactory


def test_county_admin_sees_only_their_county_in_the_elder_changelist(client, county_admin, elder, far_elder):
    client.force_login(county_admin)
    response = client.get(reverse("admin:registry_elder_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert elder.name in html and far_elder.name not in html


def test_other_county_elder_is_not_found_in_the_admin(client, county_admin, far_elder):
    client.force_login(county_admin)
    response = client.get(reverse("admin:registry_elder_change", args=[far_elder.pk]))
    # Outside the area is "not found", as in the staff portal (404, the same answer as a missing row).
    assert response.status_code == 404
    assert far_elder.name not in response.content.decode()


def test_region_autocomplete_offers_only_villages_in_the_area(client, county_admin):
    client.force_login(county_admin)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "registry", "model_name": "elder", "field_name": "region", "term": "社区"},
    )
    assert response.status_code == 200
    codes = [Region.objects.get(pk=r["id"]).code for r in json.loads(response.content)["results"]]
    assert codes and all(code.startswith("610403") for code in codes)


def test_admin_elder_form_applies_the_id_rules(client, county_admin, regions):
    client.force_login(county_admin)
    response = client.post(
        reverse("admin:registry_elder_add"),
        {
            "id_number": "610403195001011235", "name": "张三", "region": regions[VILLAGE].pk,
            "economic_status": "normal", "living_arrangement": "other", "hukou_type": "rural",
            "care_setting": "home", "local_hukou": "on",
        },
    )
    assert response.status_code == 200
    assert "校验位不正确" in response.content.decode()
    assert not Elder.objects.filter(name="张三").exists()


def test_county_admin_cannot_grant_superuser_or_raw_permissions(client, county_admin, officer):
    client.force_login(county_admin)
    response = client.get(reverse("admin:auth_user_change", args=[officer.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="is_superuser"' not in html
    assert 'name="user_permissions"' not in html


def test_county_admin_cannot_see_users_outside_their_county(client, county_admin, regions):
    outsider = make_staff("linfen_officer", roles.TOWNSHIP_OFFICER, "141002001000")
    client.force_login(county_admin)
    response = client.get(reverse("admin:auth_user_changelist"))
    assert "linfen_officer" not in response.content.decode()
    assert client.get(reverse("admin:auth_user_change", args=[outsider.pk])).status_code == 404  # like a missing one


def test_assignment_made_in_the_admin_gives_the_role_group(client, superuser, unassigned, regions):
    client.force_login(superuser)
    role = Group.objects.get(name=roles.VILLAGE_WORKER)
    response = client.post(
        reverse("admin:regions_staffassignment_add"),
        {"user": unassigned.pk, "region": regions[COUNTY].pk, "role": role.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert StaffAssignment.objects.filter(user=unassigned).exists()
    assert unassigned.groups.filter(name=roles.VILLAGE_WORKER).exists()


# --- attacks on the admin (issue 14): history pages, read-only roles, full ID numbers, exports ------

BANK = "6217001234567890123"


def _staff(user):
    """Any role may be given admin access; the admin must still hold the role's limits."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def _with_bank(elder):
    elder.bank_account = BANK
    elder.save()
    return elder


def _history_url(obj, model="elder"):
    return reverse(f"admin:registry_{model}_simple_history", args=[obj.pk, obj.history.latest().history_id])


def test_attack_history_detail_of_foreign_elder_is_404(client, county_admin, far_elder):
    _with_bank(far_elder)
    client.force_login(county_admin)
    for url in (_history_url(far_elder), reverse("admin:registry_elder_history", args=[far_elder.pk])):
        response = client.get(url)
        assert response.status_code == 404, url
        html = response.content.decode()
        for secret in (far_elder.id_number, BANK, far_elder.phone, far_elder.name):
            assert secret not in html


def test_attack_history_post_cannot_move_foreign_household(client, county_admin, regions):
    household = HouseholdFactory(region=regions[OTHER_COUNTY_VILLAGE], household_number="LF-001", address="尧都路1号")
    client.force_login(county_admin)
    response = client.post(_history_url(household, "household"), {
        "household_number": "YL-999", "region": regions[VILLAGE].pk, "hukou_type": "rural", "address": "杨陵路9号",
    })
    assert response.status_code in (404, 405)
    household.refresh_from_db()
    assert (household.region_code, household.household_number, household.address) == (
        OTHER_COUNTY_VILLAGE, "LF-001", "尧都路1号")


def test_attack_history_post_of_own_household_changes_nothing(client, county_admin, regions):
    """Not even for a county administrator who may change the household: a version is read-only."""
    household = HouseholdFactory(region=regions[VILLAGE], household_number="YL-001")
    client.force_login(county_admin)
    response = client.post(_history_url(household, "household"), {
        "household_number": "YL-002", "region": regions[VILLAGE].pk, "hukou_type": "urban",
    })
    assert response.status_code == 405
    household.refresh_from_db()
    assert household.household_number == "YL-001" and household.hukou_type == "rural"


def test_attack_auditor_post_history_form_changes_nothing(client, auditor, elder):
    _staff(auditor)
    client.force_login(auditor)
    before = elder.history.count()
    response = client.post(_history_url(elder), {
        "name": "篡改", "economic_status": "dibao", "id_number": elder.id_number, "region": elder.region_id,
        "living_arrangement": "other", "hukou_type": "rural", "care_setting": "home",
    })
    assert response.status_code == 405
    elder.refresh_from_db()
    assert elder.name == "王秀兰" and elder.economic_status == "normal"
    assert elder.history.count() == before
    # …nor through the change page: the auditor's role only reads.
    response = client.post(reverse("admin:registry_elder_change", args=[elder.pk]), {"name": "篡改"})
    assert response.status_code == 403
    elder.refresh_from_db()
    assert elder.name == "王秀兰"


def test_attack_auditor_reads_no_full_id_or_bank_account_anywhere_in_the_admin(client, auditor, elder):
    _with_bank(elder)
    old_id = elder.id_number
    # a history with an ID-number change, so the diff of the history list has one to leak
    from tests.factories import valid_id_number

    elder.id_number = valid_id_number(elder.birth_date, "F", "610403")
    elder.save()
    _staff(auditor)
    client.force_login(auditor)
    pages = {
        "changelist": reverse("admin:registry_elder_changelist"),
        "search": reverse("admin:registry_elder_changelist") + f"?q={elder.id_number}",
        "change": reverse("admin:registry_elder_change", args=[elder.pk]),
        "history": reverse("admin:registry_elder_history", args=[elder.pk]),
        "history detail": _history_url(elder),
        "first version": reverse("admin:registry_elder_simple_history",
                                 args=[elder.pk, elder.history.earliest().history_id]),
    }
    for page, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, page
        # the search box and the links echo what the user typed (q=…); the rows must not add it
        html = re.sub(rf'(value="|q=|q%3D){elder.id_number}', "", response.content.decode())
        assert elder.id_number not in html and old_id not in html and BANK not in html, page
    assert elder.masked_id_number in client.get(pages["change"]).content.decode()
    assert elder.name in client.get(pages["search"]).content.decode()  # the search works, masked


def test_attack_auditor_rebuilds_the_id_from_mask_village_sex_and_birth_date_in_the_admin(client, auditor, elder):
    """The village gives the first 6 digits and the sex the 17th: a birth date beside the mask would
    leave a handful of candidates. Roles without full-ID rights see it masked on every admin page."""
    born = elder.birth_date
    shapes = (f"{born:%Y-%m-%d}", f"{born.year}年{born.month}月{born.day}日", f"{born:%Y%m%d}")
    _staff(auditor)
    client.force_login(auditor)
    for url in (
        reverse("admin:registry_elder_changelist"),
        reverse("admin:registry_elder_change", args=[elder.pk]),
        reverse("admin:registry_elder_simple_history", args=[elder.pk, elder.history.earliest().history_id]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert elder.name in html and "****-**-**" in html, url
        assert not any(shape in html for shape in shapes), url


def test_a_county_admin_sees_the_full_id_on_the_change_page_and_it_is_logged(client, county_admin, elder):
    from audit.models import AuditEvent

    client.force_login(county_admin)
    assert elder.id_number in client.get(reverse("admin:registry_elder_change", args=[elder.pk])).content.decode()
    assert AuditEvent.objects.filter(event="eligibility.reveal_id_number", user=county_admin,
                                     object_id=str(elder.pk)).exists()


def _export(client):
    import io

    import openpyxl

    response = client.post(reverse("admin:registry_elder_export"), {
        "format": "0", **{f"elderresource_{name}": "on" for name in ("id_number", "name", "bank_account")},
    })
    assert response.status_code == 200, response.content[:500]
    return [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows()]


def test_attack_admin_export_of_elders_without_full_id_permission_is_masked_and_logged(client, elder, regions):
    from django.contrib.auth.models import Permission

    from audit.models import AuditEvent

    _with_bank(elder)
    clerk = make_staff("export_clerk", roles.AUDITOR, COUNTY, is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="export_rows"))
    clerk = type(clerk).objects.get(pk=clerk.pk)
    assert not clerk.has_perm("registry.view_full_id_number")
    client.force_login(clerk)
    rows = _export(client)
    flat = [str(v) for row in rows for v in row]
    assert elder.id_number not in flat and BANK not in flat
    assert elder.masked_id_number in flat
    event = AuditEvent.objects.get(event="admin.export", user=clerk)
    assert event.detail == {"model": "registry.elder", "rows": 1, "masked": ["bank_account", "id_number"]}


def test_the_admin_export_by_a_county_admin_is_logged_with_its_row_count(client, county_admin, elder, far_elder):
    from audit.models import AuditEvent

    client.force_login(county_admin)
    rows = _export(client)
    assert elder.id_number in [str(v) for row in rows for v in row]
    event = AuditEvent.objects.get(event="admin.export", user=county_admin)
    assert event.detail["rows"] == 1 and event.detail["masked"] == []


def test_attack_sweep_run_list_of_another_county_is_hidden(client, county_admin, regions):
    import datetime as dt

    from eligibility.models import SweepRun

    ours = SweepRun.objects.create(as_of=dt.date(2026, 11, 1), period=dt.date(2026, 11, 1), county_code=COUNTY)
    theirs = SweepRun.objects.create(as_of=dt.date(2026, 11, 1), period=dt.date(2026, 11, 1), county_code=OTHER_COUNTY)
    client.force_login(county_admin)
    html = client.get(reverse("admin:eligibility_sweeprun_changelist")).content.decode()
    assert reverse("admin:eligibility_sweeprun_change", args=[ours.pk]) in html
    assert reverse("admin:eligibility_sweeprun_change", args=[theirs.pk]) not in html
    assert client.get(reverse("admin:eligibility_sweeprun_change", args=[theirs.pk])).status_code == 404


def test_attack_auditor_reads_the_bank_account_of_a_payroll_line_in_the_admin(client, auditor, request):
    from tests.payouts.helpers import matrix_lines

    line, _ = matrix_lines(request)
    assert line.bank_account
    auditor.user_permissions.add(*Permission.objects.filter(codename="view_payrollline"))
    _staff(auditor)
    auditor = type(auditor).objects.get(pk=auditor.pk)
    client.force_login(auditor)
    response = client.get(reverse("admin:payouts_payrollline_change", args=[line.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert line.bank_account not in html and line.bank_account[-4:] in html


def test_attack_auditor_reads_the_original_upload_or_its_preview_in_the_admin(client, auditor, settings, tmp_path):
    from tests.imports.helpers import matrix_batches

    batch, _ = matrix_batches(settings, tmp_path)
    _staff(auditor)
    client.force_login(auditor)
    response = client.get(reverse("admin:imports_importbatch_change", args=[batch.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert batch.file.name not in html and "预览" not in html


def test_an_admin_delete_and_change_are_written_to_the_audit_log(client, county_admin, regions):
    """Issue 14.6: admin edits were not audited at all. Deleting a household and changing one on the
    admin's pages each leave an audit row with the user, the object and the area."""
    from audit.models import AuditEvent

    gone = HouseholdFactory(region=regions[VILLAGE], household_number="YL-DEL")
    kept = HouseholdFactory(region=regions[VILLAGE], household_number="YL-KEEP", address="旧地址")
    client.force_login(county_admin)
    response = client.post(reverse("admin:registry_household_delete", args=[gone.pk]), {"post": "yes"})
    assert response.status_code == 302
    deleted = AuditEvent.objects.get(event="admin.delete", object_id=str(gone.pk))
    assert deleted.user == county_admin and deleted.region_code == VILLAGE
    assert deleted.detail["model"] == "registry.household"

    page = client.get(reverse("admin:registry_household_change", args=[kept.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}
    data["address"] = "新地址"
    response = client.post(reverse("admin:registry_household_change", args=[kept.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    changed = AuditEvent.objects.get(event="admin.change", object_id=str(kept.pk))
    assert changed.user == county_admin and changed.detail["message"] == [{"changed": {"fields": ["现住址"]}}]
