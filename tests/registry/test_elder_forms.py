"""Registering, editing and finding elders through the staff pages, as a township officer would."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from audit.models import AuditEvent
from registry.models import Elder, Household
from registry.rules import mask_id_number
from regions import roles
from tests.conftest import NEIGHBOUR_VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, TODAY, VILLAGE
from tests.factories import ElderFactory

from .helpers import (
    FULL_WIDTH,
    NEW_BIRTH,
    NEW_ID,
    create_url,
    edit_data,
    form_data,
    list_url,
    make_id,
    make_id_ending_in_x,
)


def names_listed(response) -> list[str]:
    return [elder.name for elder in response.context["elders"]]


@pytest.fixture
def on_today():
    """The pages compute ages with timezone.localdate(); pin it to the suite's TODAY."""
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(10, 0), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture
def as_officer(client, officer):
    client.force_login(officer)
    return client


# --- registering -----------------------------------------------------------------------------


def test_registering_an_elder_derives_sex_and_birth_date_from_the_id_number(as_officer, regions):
    response = as_officer.post(create_url(), form_data(regions[VILLAGE]))

    elder = Elder.objects.get(id_number=NEW_ID)
    assert response.status_code == 302
    assert response["Location"] == reverse("eligibility:elder_detail", args=[elder.pk])
    assert (elder.name, elder.sex, elder.birth_date) == ("张福全", "M", NEW_BIRTH)
    assert elder.region_code == VILLAGE
    page = as_officer.get(response["Location"]).content.decode()
    assert "已登记 张福全" in page
    assert "1944-07-08" in page


def test_an_id_number_typed_in_full_width_digits_with_a_lower_case_x_is_stored_normalised(as_officer, regions):
    number = make_id_ending_in_x(NEW_BIRTH)
    typed = number[:17].translate(FULL_WIDTH) + "x"

    response = as_officer.post(create_url(), form_data(regions[VILLAGE], id_number=typed))

    assert response.status_code == 302
    assert Elder.objects.get(name="张福全").id_number == number


def test_an_id_number_typed_with_spaces_is_stored_normalised(as_officer, regions):
    typed = f"{NEW_ID[:6]} {NEW_ID[6:14]} {NEW_ID[14:]}"

    response = as_officer.post(create_url(), form_data(regions[VILLAGE], id_number=typed))

    assert response.status_code == 302, response.context["form"].errors
    assert Elder.objects.get(name="张福全").id_number == NEW_ID


def test_an_old_15_digit_number_is_stored_in_its_18_digit_form(as_officer, regions):
    old = NEW_ID[:6] + NEW_ID[8:17]

    as_officer.post(create_url(), form_data(regions[VILLAGE], id_number=old))

    assert Elder.objects.get(name="张福全").id_number == NEW_ID


def test_a_household_number_creates_the_household_and_a_second_member_joins_it(as_officer, regions):
    as_officer.post(create_url(), form_data(regions[VILLAGE], household_number=" 0012 ", relation_to_head="head"))
    spouse_id = make_id(dt.date(1946, 5, 6), 124)
    as_officer.post(
        create_url(),
        form_data(regions[VILLAGE], id_number=spouse_id, name="李桂英", household_number="0012", relation_to_head="spouse"),
    )

    household = Household.objects.get(household_number="0012")
    assert household.region_code == VILLAGE
    assert household.hukou_type == "rural"
    assert sorted(household.members.values_list("name", flat=True)) == ["张福全", "李桂英"]
    detail = as_officer.get(reverse("eligibility:elder_detail", args=[Elder.objects.get(name="张福全").pk]))
    assert "李桂英" in detail.content.decode()


def test_registering_writes_the_history_and_an_audit_row(as_officer, officer, regions):
    as_officer.post(create_url(), form_data(regions[VILLAGE], household_number="0099"))

    elder = Elder.objects.get(id_number=NEW_ID)
    history = list(elder.history.all())
    assert [(h.history_type, h.history_user) for h in history] == [("+", officer)]
    created = AuditEvent.objects.get(event="eligibility.elder_create", object_id=str(elder.pk))
    assert (created.user, created.username, created.region_code, created.outcome) == (officer, "officer", VILLAGE, "ok")
    assert NEW_ID not in created.object_repr
    assert AuditEvent.objects.filter(event="eligibility.household_create", user=officer, region_code=VILLAGE).count() == 1


def _nothing_saved(before: tuple[int, int, int]) -> bool:
    return (Elder.objects.count(), Household.objects.count(), AuditEvent.objects.count()) == before


def _counts() -> tuple[int, int, int]:
    return Elder.objects.count(), Household.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"id_number": NEW_ID[:17] + ("0" if NEW_ID[17] != "0" else "1")},
            "id_number",
            "身份证号码校验位不正确，请核对是否录入有误",
        ),
        ({"id_number": "360426199101010072"}, "id_number", "身份证号码校验位不正确，请核对是否录入有误"),
        ({"birth_date": "1944-07-09"}, "birth_date", "出生日期与身份证号码不符（号码中为 1944-07-08）"),
        ({"sex": "F"}, "sex", "性别与身份证号码不符（号码第17位表示男）"),
        ({"phone": "1391234567"}, "phone", "联系电话应为11位手机号码，或带区号的固定电话（如 029-87012345）"),
        ({"id_number": ""}, "id_number", "请填写身份证号码"),
    ],
    ids=["changed-check-digit", "domain-vector-072", "birth-date-contradicts-id", "sex-contradicts-id", "bad-phone", "no-id"],
)
def test_bad_input_gets_a_specific_message_on_its_field_and_nothing_is_saved(
    as_officer, regions, overrides, field, message
):
    before = _counts()

    response = as_officer.post(create_url(), form_data(regions[VILLAGE], household_number="0077", **overrides))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    page = response.content.decode()
    assert f'data-testid="error-{field}">{message}<' in page
    assert "请更正下面标红的内容，信息尚未保存。" in page
    assert _nothing_saved(before)


@pytest.mark.parametrize("who", ["far_elder", "elder"])
def test_an_id_number_already_registered_anywhere_cannot_be_registered_again(as_officer, regions, request, who):
    existing = request.getfixturevalue(who)  # far_elder lives in another county the officer cannot even see
    typed = existing.id_number.translate(FULL_WIDTH).lower()
    before = _counts()

    response = as_officer.post(create_url(), form_data(regions[VILLAGE], id_number=typed, household_number="0078"))

    assert response.context["form"].errors["id_number"] == ["该身份证号码已登记，不能重复登记"]
    assert _nothing_saved(before)


def test_a_village_outside_the_officers_area_is_refused_on_the_village_field(as_officer, regions):
    before = _counts()

    response = as_officer.post(create_url(), form_data(regions[NEIGHBOUR_VILLAGE]))

    assert response.status_code == 200
    assert response.context["form"].errors["region"] == ["所选村(社区)不在您的管辖区域内"]
    assert _nothing_saved(before)


def test_the_village_choices_offer_only_the_officers_own_villages(as_officer, regions):
    response = as_officer.get(create_url())

    offered = {region.code for region in response.context["form"].fields["region"].queryset}
    assert VILLAGE in offered and OTHER_VILLAGE_SAME_TOWNSHIP in offered
    assert all(code.startswith("610403001") for code in offered)
    assert regions[NEIGHBOUR_VILLAGE].name not in response.content.decode()


# --- editing -------------------------------------------------------------------------------


def test_changing_the_phone_shows_in_the_elders_history_with_who_changed_it(client, officer, elder):
    officer.first_name, officer.last_name = "明", "刘"
    officer.save()
    client.force_login(officer)
    assert elder.phone == "13812341234"

    response = client.post(reverse("eligibility:elder_update", args=[elder.pk]), edit_data(elder, phone="139 8765 4321"))

    assert response.status_code == 302
    elder.refresh_from_db()
    assert elder.phone == "13987654321"
    page = client.get(reverse("eligibility:elder_detail", args=[elder.pk])).content.decode()
    history = page[page.index('data-testid="history"') :]
    assert "修改" in history
    assert "联系电话：<del>13812341234</del> → <ins>13987654321</ins>" in history
    assert "明 刘" in history
    update = AuditEvent.objects.get(event="eligibility.elder_update", object_id=str(elder.pk))
    assert (update.user, update.detail) == (officer, {"fields": ["phone"]})


def test_an_officer_can_correct_a_mistyped_id_number_and_the_history_keeps_it_masked(as_officer, elder):
    old = elder.id_number
    sequence = 98 if old[14:17] != "098" else 96  # same birth date and sex, another sequence
    corrected = make_id(elder.birth_date, sequence)

    response = as_officer.post(reverse("eligibility:elder_update", args=[elder.pk]), edit_data(elder, id_number=corrected))

    assert response.status_code == 302
    elder.refresh_from_db()
    assert elder.id_number == corrected
    page = as_officer.get(reverse("eligibility:elder_detail", args=[elder.pk])).content.decode()
    assert f"身份证号码：<del>{mask_id_number(old)}</del> → <ins>{mask_id_number(corrected)}</ins>" in page
    assert old not in page and corrected not in page


def test_saving_an_unchanged_form_adds_no_history(as_officer, elder):
    history_before = elder.history.count()

    as_officer.post(reverse("eligibility:elder_update", args=[elder.pk]), edit_data(elder))

    assert elder.history.count() == history_before
    assert not AuditEvent.objects.filter(event="eligibility.elder_update").exists()


def test_an_officer_cannot_move_an_elder_into_the_neighbouring_township(as_officer, elder, regions):
    response = as_officer.post(
        reverse("eligibility:elder_update", args=[elder.pk]), edit_data(elder, region=regions[NEIGHBOUR_VILLAGE].pk)
    )

    assert response.context["form"].errors["region"] == ["所选村(社区)不在您的管辖区域内"]
    elder.refresh_from_db()
    assert elder.region_code == VILLAGE


def test_a_village_worker_can_edit_an_elder_of_their_village(client, village_worker, elder):
    client.force_login(village_worker)

    response = client.post(
        reverse("eligibility:elder_update", args=[elder.pk]), edit_data(elder, living_arrangement="empty_nest")
    )

    assert response.status_code == 302
    elder.refresh_from_db()
    assert elder.living_arrangement == "empty_nest"
    assert elder.history.first().history_user == village_worker


def test_a_village_worker_cannot_register_an_elder(client, village_worker, regions):
    client.force_login(village_worker)
    before = _counts()

    assert client.get(create_url()).status_code == 403
    assert client.post(create_url(), form_data(regions[VILLAGE])).status_code == 403
    assert _nothing_saved(before)
    assert "登记老年人" not in client.get(list_url()).content.decode()


def test_another_townships_elder_cannot_be_opened_for_editing(as_officer, neighbour_elder):
    url = reverse("eligibility:elder_update", args=[neighbour_elder.pk])

    assert as_officer.get(url).status_code == 404
    assert as_officer.post(url, edit_data(neighbour_elder, phone="13900000000")).status_code == 404
    neighbour_elder.refresh_from_db()
    assert neighbour_elder.phone == "13812341234"


# --- the list ------------------------------------------------------------------------------


@pytest.fixture
def township(regions, on_today):
    """Three living elders in our township and one who died; ages as of TODAY (2026-11-25)."""
    return {
        "wang": ElderFactory(
            region=regions[VILLAGE], name="王秀兰", sex="F", birth_date=dt.date(1946, 11, 26), phone="13900001111",
            living_arrangement="alone",
        ),  # 79, turns 80 tomorrow
        "zhao": ElderFactory(
            region=regions[VILLAGE], name="赵德福", sex="M", birth_date=dt.date(1946, 11, 25), economic_status="dibao",
        ),  # 80 today
        "sun": ElderFactory(
            region=regions[OTHER_VILLAGE_SAME_TOWNSHIP], name="孙玉珍", sex="F", birth_date=dt.date(1961, 3, 1),
        ),  # 65
        "dead": ElderFactory(
            region=regions[VILLAGE], name="钱有才", sex="M", birth_date=dt.date(1930, 2, 2),
            deceased_on=dt.date(2026, 10, 1),
        ),
    }


def test_the_list_shows_masked_id_numbers_and_phones_and_never_the_full_id(as_officer, township):
    page = as_officer.get(list_url()).content.decode()

    for elder in township.values():
        if elder.deceased_on:
            continue
        assert elder.masked_id_number in page
        assert elder.id_number not in page
        assert elder.id_number[6:14] not in page  # not even the birth-date part of it
    assert "139****1111" in page
    assert "13900001111" not in page
    assert "138****1234" in page


def test_the_list_counts_the_living_elders_of_the_area(as_officer, township, neighbour_elder, far_elder):
    response = as_officer.get(list_url())

    assert "共 3 人" in response.content.decode()
    assert sorted(names_listed(response)) == sorted(["王秀兰", "赵德福", "孙玉珍"])


@pytest.mark.parametrize(
    "query",
    ["{id}", "{id_spaced}", "{id_old}", "19461126", "王秀兰", "秀兰", "13900001111", "139-0000-1111", "0000111"],
    ids=["full-id", "full-id-with-spaces", "15-digit-id", "partial-id", "name", "part-of-name", "phone",
         "phone-with-dashes", "part-of-phone"],
)
def test_searching_finds_the_elder_by_id_name_or_phone(as_officer, township, query):
    wang = township["wang"]
    number = wang.id_number
    query = query.format(id=number, id_spaced=f"{number[:6]} {number[6:14]} {number[14:]}", id_old=number[:6] + number[8:17])

    response = as_officer.get(list_url(), {"q": query})

    assert names_listed(response) == ["王秀兰"]
    assert "共 1 人" in response.content.decode()


def test_searching_for_another_townships_elder_by_full_id_finds_nothing(as_officer, township, neighbour_elder):
    response = as_officer.get(list_url(), {"q": neighbour_elder.id_number})

    assert names_listed(response) == []
    assert "没有符合条件的老年人" in response.content.decode()


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"age_band": "80-89"}, ["赵德福"]),
        ({"age_band": "70-79"}, ["王秀兰"]),
        ({"age_band": "60-69"}, ["孙玉珍"]),
        ({"economic_status": "dibao"}, ["赵德福"]),
        ({"flag": "alone"}, ["王秀兰"]),
        ({"flag": "difficult"}, ["赵德福"]),
        ({"vital": "deceased"}, ["钱有才"]),
        ({"vital": "all", "age_band": "90-99"}, ["钱有才"]),
        ({"economic_status": "dibao", "age_band": "70-79"}, []),
    ],
)
def test_filters_narrow_the_list(as_officer, township, params, expected):
    response = as_officer.get(list_url(), params)

    assert sorted(names_listed(response)) == sorted(expected)
    assert f"共 {len(expected)} 人" in response.content.decode()


def test_the_list_is_paginated_and_the_page_links_keep_the_filters(as_officer, township, regions, settings):
    settings.LIST_PAGE_SIZE = 2
    for n in range(3):
        ElderFactory(region=regions[VILLAGE], name=f"周{n}", living_arrangement="alone")

    first = as_officer.get(list_url(), {"flag": "alone"})
    last = as_officer.get(list_url(), {"flag": "alone", "page": 2})

    first_page = first.content.decode()
    assert "共 4 人，第 1 / 2 页" in first_page
    assert len(names_listed(first)) == 2
    assert re.search(r'href="\?[^"]*flag=alone[^"]*&(amp;)?page=2"', first_page)
    assert len(names_listed(last)) == 2
    assert set(names_listed(first)).isdisjoint(names_listed(last))
    assert set(names_listed(first)) | set(names_listed(last)) == {"王秀兰", "周0", "周1", "周2"}


def test_picking_a_village_narrows_the_list_to_it(as_officer, township):
    response = as_officer.get(list_url(), {"area": OTHER_VILLAGE_SAME_TOWNSHIP})

    assert names_listed(response) == ["孙玉珍"]
    assert response.context["selected_area"] == OTHER_VILLAGE_SAME_TOWNSHIP


@pytest.mark.parametrize("foreign_area", [NEIGHBOUR_VILLAGE, "610403002000", "141002001001", "999999999999"])
def test_an_area_outside_the_users_own_is_ignored(as_officer, township, neighbour_elder, far_elder, foreign_area):
    response = as_officer.get(list_url(), {"area": foreign_area})

    assert sorted(names_listed(response)) == sorted(["王秀兰", "赵德福", "孙玉珍"])
    assert response.context["selected_area"] == ""
    page = response.content.decode()
    assert neighbour_elder.name not in page and far_elder.name not in page


def test_a_user_without_an_area_is_told_why_and_sees_no_elders(client, unassigned, elder):
    # Even if someone put them in the officer group by hand, without an assignment they see nobody.
    unassigned.groups.add(Group.objects.get(name=roles.TOWNSHIP_OFFICER))
    client.force_login(unassigned)

    response = client.get(list_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert "您的账号尚未分配管辖区域" in page
    assert names_listed(response) == []
    assert elder.name not in page
    assert "共 0 人" in page


def test_a_user_without_an_area_or_role_is_told_why_on_the_home_page(client, unassigned, elder):
    client.force_login(unassigned)

    home = client.get("/")

    assert "您的账号尚未分配管辖区域" in home.content.decode()
    assert client.get(list_url()).status_code == 403


def test_attack_rebuild_full_id_by_partial_id_search_as_village_worker(client, village_worker, township):
    """Searching 6104031946112, 6104031946113, … would tell a village worker the hidden digits one by one."""
    wang = township["wang"]
    client.force_login(village_worker)

    partial = client.get(list_url(), {"q": wang.id_number[:13]})
    middle = client.get(list_url(), {"q": wang.id_number[6:14]})
    whole = client.get(list_url(), {"q": wang.id_number})

    assert names_listed(partial) == [] and names_listed(middle) == []
    assert names_listed(whole) == ["王秀兰"]  # the number on the card in hand still finds the person
    assert names_listed(client.get(list_url(), {"q": "0000111"})) == ["王秀兰"]  # part of the phone number
