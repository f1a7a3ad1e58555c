"""The full ID number: masked on the detail page, revealed on request to roles that need it, every reveal logged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent

from .helpers import edit_data, make_id

REVEAL_EVENT = "eligibility.reveal_id_number"


def detail_url(elder) -> str:
    return reverse("eligibility:elder_detail", args=[elder.pk])


def reveal_url(elder) -> str:
    return reverse("eligibility:elder_reveal_id", args=[elder.pk])


@pytest.mark.parametrize("role", ["officer", "village_worker", "county_admin", "assessor", "auditor", "finance_reviewer"])
def test_the_detail_page_shows_the_id_number_masked(client, request, elder, role):
    client.force_login(request.getfixturevalue(role))

    page = client.get(detail_url(elder)).content.decode()

    assert f'data-testid="id-number-masked">{elder.masked_id_number}<' in page
    assert elder.id_number not in page
    assert not AuditEvent.objects.filter(event=REVEAL_EVENT).exists()


def test_only_roles_that_may_see_the_full_number_get_the_reveal_button(client, officer, auditor, elder):
    client.force_login(officer)
    assert "显示完整号码" in client.get(detail_url(elder)).content.decode()

    client.force_login(auditor)
    assert "显示完整号码" not in client.get(detail_url(elder)).content.decode()


def test_an_officer_revealing_the_id_number_sees_it_and_the_reveal_is_logged(client, officer, elder):
    client.force_login(officer)

    response = client.post(reveal_url(elder), HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-testid="id-number-full">{elder.id_number}<' in page
    assert "已记录查看" in page
    event = AuditEvent.objects.get(event=REVEAL_EVENT)
    assert (event.user, event.username, event.outcome) == (officer, "officer", "ok")
    assert (event.object_type, event.object_id, event.region_code) == ("registry.elder", str(elder.pk), elder.region_code)
    assert event.ip_address == "127.0.0.1"
    assert elder.id_number not in event.object_repr


def test_each_reveal_is_logged_again(client, officer, elder):
    client.force_login(officer)

    client.post(reveal_url(elder))
    client.post(reveal_url(elder))

    assert AuditEvent.objects.filter(event=REVEAL_EVENT, user=officer, outcome="ok").count() == 2


@pytest.mark.parametrize("role", ["auditor", "assessor"])
def test_a_role_without_the_permission_is_refused_and_the_attempt_is_logged(client, request, elder, role):
    user = request.getfixturevalue(role)
    client.force_login(user)

    response = client.post(reveal_url(elder))

    assert response.status_code == 403
    assert elder.id_number not in response.content.decode()
    event = AuditEvent.objects.get(event=REVEAL_EVENT)
    assert (event.user, event.outcome, event.object_id) == (user, "denied", str(elder.pk))


def test_another_townships_elder_cannot_be_revealed_or_even_found(client, officer, neighbour_elder):
    client.force_login(officer)

    response = client.post(reveal_url(neighbour_elder))

    assert response.status_code == 404
    assert neighbour_elder.id_number not in response.content.decode()
    assert not AuditEvent.objects.filter(event=REVEAL_EVENT).exists()


def test_the_reveal_cannot_be_fetched_with_a_get(client, officer, elder):
    client.force_login(officer)

    response = client.get(reveal_url(elder))

    assert response.status_code == 405
    assert elder.id_number not in response.content.decode()
    assert not AuditEvent.objects.filter(event=REVEAL_EVENT).exists()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, elder):
    response = client.post(reveal_url(elder))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not AuditEvent.objects.filter(event=REVEAL_EVENT).exists()


def test_a_village_worker_edits_with_the_id_number_and_bank_account_masked(client, village_worker, elder):
    elder.bank_account = "6228480402564890018"
    elder.save()
    client.force_login(village_worker)

    page = client.get(reverse("eligibility:elder_update", args=[elder.pk])).content.decode()

    assert elder.masked_id_number in page
    assert elder.id_number not in page
    assert "***************0018" in page
    assert elder.bank_account not in page


def test_a_village_worker_cannot_change_the_id_number_by_posting_one(client, village_worker, elder):
    original = elder.id_number
    other = make_id(elder.birth_date, 99)
    client.force_login(village_worker)

    response = client.post(
        reverse("eligibility:elder_update", args=[elder.pk]),
        edit_data(elder, id_number=other, bank_account="1111222233334444", living_arrangement="alone"),
    )

    assert response.status_code == 302
    elder.refresh_from_db()
    assert (elder.id_number, elder.bank_account, elder.living_arrangement) == (original, "", "alone")


# --- the mask together with the rest of the page (issue 14.5) ------------------------------


def _pages(request, elder):
    from tests.assessments.helpers import matrix_assessments

    assessment, _ = matrix_assessments(request)
    return {
        "detail": detail_url(elder),
        "edit": reverse("eligibility:elder_update", args=[elder.pk]),
        "assessments": reverse("assessments:elder", args=[elder.pk]),
        "assessment": reverse("assessments:detail", args=[assessment.pk]),
        "print": reverse("assessments:print", args=[assessment.pk]),
        "worklist": reverse("assessments:worklist"),
    }


@pytest.mark.parametrize("role", ["village_worker", "assessor", "auditor"])
def test_attack_rebuild_full_id_from_mask_and_birth_date(client, request, elder, role):
    """The old mask (610403********1234) beside the birth date was the whole number. Roles without
    full-ID rights never see the birth date or the middle digits on any page that shows the elder."""
    from registry.models import Elder

    Elder.objects.filter(pk=elder.pk).update(birth_date=elder.birth_date)  # a history row with the date
    elder.birth_date = elder.birth_date.replace(day=4)
    elder.save()  # a history entry that changes the birth date
    user = request.getfixturevalue(role)
    client.force_login(user)
    digits = elder.id_number[6:14]  # the birth date inside the number
    seen = []

    for name, url in _pages(request, elder).items():
        response = client.get(url)
        if response.status_code != 200:
            continue  # e.g. the auditor cannot open the edit form
        page = response.content.decode()
        seen.append(name)
        assert elder.id_number not in page, name
        assert elder.id_number[:6] + "*" not in page and elder.id_number[-4:] + "<" not in page, name
        for shown in (elder.birth_date.strftime("%Y-%m-%d"), "1946-12-03", digits):
            assert shown not in page, (name, shown)
    assert {"detail"} < set(seen), seen


def test_roles_with_full_id_rights_still_see_the_birth_date(client, officer, elder):
    client.force_login(officer)

    page = client.get(detail_url(elder)).content.decode()

    assert f'data-testid="birth-date">{elder.birth_date:%Y-%m-%d}<' in page
