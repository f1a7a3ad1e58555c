"""The staff pages: register a facility, add beds, print labels, admit with bad input, indicators, export."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from facilities import services
from facilities.exports import neutralise
from facilities.models import Admission, Bed, Facility
from tests.conftest import VILLAGE
from tests.factories import ElderFactory, FacilityFactory, RatingFactory


def test_a_county_admin_registers_a_facility_through_the_form(client, county_admin, regions, today):
    client.force_login(county_admin)
    response = client.post(reverse("facilities:facility_create"), {
        "name": "杨陵区社会福利院", "kind": "institution", "ownership": "public", "region": regions[VILLAGE].pk,
        "medical_integration": "in_house", "accepted_residents": ["able", "tekun"], "fire_approved": "on",
        "fire_approved_on": "2024-01-10", "bed_fee_min": "600", "bed_fee_max": "900",
    })
    facility = Facility.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("facilities:facility_detail", args=[facility.pk])
    assert facility.accepted_residents == ["able", "tekun"] and facility.region_code == VILLAGE


def test_the_form_shows_model_errors_in_chinese_and_saves_nothing(client, county_admin, regions):
    client.force_login(county_admin)
    response = client.post(reverse("facilities:facility_create"), {
        "name": "坏数据养老院", "kind": "institution", "ownership": "public", "region": regions[VILLAGE].pk,
        "medical_integration": "none", "credit_code": "ABC", "meal_fee_min": "500", "meal_fee_max": "100",
    })
    html = response.content.decode()
    assert response.status_code == 200 and "统一社会信用代码应为18位" in html and "膳食费最低值不能高于最高值" in html
    assert not Facility.objects.exists()


def test_the_labels_page_prints_each_code_as_text_and_qr(client, county_admin, facility, beds):
    client.force_login(county_admin)
    html = client.get(reverse("facilities:bed_labels", args=[facility.pk])).content.decode()
    assert html.count('data-testid="label"') == 3 and html.count("<svg") == 3
    for bed in beds:
        assert bed.code in html
    only_202 = client.get(reverse("facilities:bed_labels", args=[facility.pk]) + "?room=202").content.decode()
    assert only_202.count('data-testid="label"') == 1


def test_admitting_someone_to_an_occupied_bed_through_the_page_says_why(client, county_admin, facility, beds, elder, neighbour_elder, today):
    services.admission_admit(actor=county_admin, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 11, 1))
    client.force_login(county_admin)
    response = client.post(reverse("facilities:admit", args=[facility.pk]), {
        "elder": neighbour_elder.id_number, "bed": beds[0].pk, "admitted_on": "2026-11-20"})
    assert response.status_code == 200 and "该床位已有人在住" in response.content.decode()
    assert Admission.objects.count() == 1


def test_an_unknown_id_number_gets_the_same_answer_as_one_outside_the_area(client, officer, facility, beds, far_elder):
    client.force_login(officer)
    for number in ("610403194612030000", far_elder.id_number):
        response = client.post(reverse("facilities:admit", args=[facility.pk]), {
            "elder": number, "bed": beds[0].pk, "admitted_on": "2026-11-20"})
        assert "未找到该老年人，或其不在您的管辖范围内" in response.content.decode()
    assert not Admission.objects.exists()


def test_discharging_before_admission_through_the_page_is_refused(client, officer, facility, beds, elder):
    admission = services.admission_admit(actor=officer, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 11, 1))
    client.force_login(officer)
    response = client.post(reverse("facilities:discharge", args=[admission.pk]), {
        "discharged_on": "2026-10-01", "reason": "home"})
    assert "离开日期不能早于入住日期" in response.content.decode()
    assert Admission.objects.get().discharged_on is None


def test_the_detail_page_shows_beds_residents_and_rating_flags(client, officer, facility, beds, elder, today):
    RatingFactory(facility=facility, level=3, rated_on=dt.date(2023, 12, 1), expires_on=dt.date(2026, 12, 1))
    services.admission_admit(actor=officer, bed=beds[0], elder=elder, admitted_on=dt.date(2026, 11, 1))
    client.force_login(officer)
    html = client.get(reverse("facilities:facility_detail", args=[facility.pk])).content.decode()
    assert "共 3 张 · 在住 1 · 空闲 2" in html and "王秀兰" in html and elder.masked_id_number in html
    assert "三级" in html and "评定即将到期" in html
    assert "修改信息" not in html  # a township officer looks, the county edits


@pytest.fixture
def county(regions, county_admin):
    """Two facilities: one with 3 of 4 beds nursing-type and one resident; one without fire approval."""
    good = FacilityFactory(region=regions[VILLAGE], name="达标养老院")
    services.bed_create(actor=county_admin, facility=good, room="1", kind="nursing", count=3)
    services.bed_create(actor=county_admin, facility=good, room="2", kind="normal", count=1)
    services.bed_create(actor=county_admin, facility=good, room="家庭", kind="nursing", location="home", home_address="x")
    elder = ElderFactory(region=regions[VILLAGE], ability_level=3)
    services.admission_admit(actor=county_admin, bed=Bed.objects.filter(facility=good).first(), elder=elder,
                             admitted_on=dt.date(2026, 1, 1))
    poor = FacilityFactory(region=regions[VILLAGE], name="=HYPERLINK(\"http://x\")", fire_approved=False, fire_approved_on=None)
    services.bed_create(actor=county_admin, facility=poor, room="1", kind="normal", count=2)
    RatingFactory(facility=poor, scheme="grade", level=1, rated_on=dt.date(2022, 1, 1), expires_on=dt.date(2025, 1, 1))
    return good, poor


def test_indicators_count_beds_share_occupancy_and_flags(client, county_admin, county, today, django_assert_max_num_queries):
    client.force_login(county_admin)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("facilities:indicators"))
    ctx = response.context
    total = ctx["total"]
    assert (total["total"], total["nursing"], total["occupied"], total["home"]) == (6, 3, 1, 1)
    assert total["nursing_share"] == 50.0 and total["occupancy"] == 16.7
    assert total["residents_by_level"] == {3: 1}
    good, poor = county
    by_name = {f.name: f for f in ctx["facilities"]}
    assert by_name["达标养老院"].nursing_share == 75.0 and by_name["达标养老院"].meets_target
    assert [f.name for f in ctx["no_fire_approval"]] == [poor.name]
    assert [f.name for f in ctx["rating_flags"]] == [poor.name]
    assert ctx["townships"][0]["name"] == "杨陵街道" and ctx["townships"][0]["total"] == 6


def test_the_export_is_a_workbook_with_formulas_neutralised(client, county_admin, county, today):
    client.force_login(county_admin)
    response = client.get(reverse("facilities:indicators_export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["机构", "乡镇汇总", "合计", "缺消防审验", "等级星级到期"]
    names = [row[0].value for row in book["机构"].iter_rows(min_row=2)]
    assert "达标养老院" in names and "'=HYPERLINK(\"http://x\")" in names
    assert all(c.data_type != "f" for row in book["机构"].iter_rows() for c in row)
    from audit.models import AuditEvent

    assert AuditEvent.objects.get(event="facilities.indicators_export").detail["rows"] == len(names)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "＝1", "＠x"])
def test_the_neutraliser_escapes_every_formula_start(text):
    assert neutralise(text) == "'" + text
    assert neutralise("正常") == "正常" and neutralise(5) == 5


def test_the_nav_shows_the_facilities_link_to_roles_that_use_them(client, officer, assessor):
    client.force_login(officer)
    assert 'href="/facilities/"' in client.get(reverse("home")).content.decode()
    client.force_login(assessor)
    assert 'href="/facilities/"' not in client.get(reverse("home")).content.decode()
