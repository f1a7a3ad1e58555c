"""Policy what-if (政策测算): per-township counts and costs of a draft change, before publishing."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse

from eligibility.models import Benefit, BenefitRule, Enrolment
from registry.models import Elder
from eligibility.policy import reference
from eligibility.policy.whatif import Draft, DraftError, rule_sets, what_if
from regions.models import Region
from tests.conftest import (
    COUNTY,
    NEIGHBOUR_VILLAGE,
    OTHER_COUNTY,
    OTHER_COUNTY_VILLAGE,
    OTHER_VILLAGE_SAME_TOWNSHIP,
    VILLAGE,
)
from tests.factories import ElderFactory

pytestmark = pytest.mark.django_db

DEC = dt.date(2026, 12, 1)
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def yangling(regions):
    call_command("load_policy", "yangling", stdout=StringIO())


def band(label: str) -> BenefitRule:
    return BenefitRule.objects.get(benefit__code="age_allowance", jurisdiction__code=COUNTY, label=label)


def born(age: int, month: int = 6) -> dt.date:
    return dt.date(2026 - age, month, 15)  # on 1 Dec 2026 the elder is `age`


def independent(draft: Draft, county: Region, elders) -> dict[str, dict]:
    """The same numbers, row by row in Python with the reference evaluator (no SQL, no Case)."""
    current, after = rule_sets(draft, county.code, DEC)
    amount_of = {}
    for applied in (current, after):
        amount_of.update({id(a.rule): a.amount for a in applied})
    out: dict[str, dict] = defaultdict(lambda: {"newly": 0, "losing": 0, "changed": 0, "before": Decimal("0"),
                                                "after": Decimal("0")})
    for elder in elders:
        b = reference.choose_rule(elder, [a.rule for a in current], period=DEC)
        a = reference.choose_rule(elder, [a.rule for a in after], period=DEC)
        if b is None and a is None:
            continue
        row = out[elder.region_code[:9] + "000"]
        before = amount_of[id(b)] if b is not None else None
        now = amount_of[id(a)] if a is not None else None
        row["newly"] += before is None
        row["losing"] += now is None
        row["changed"] += before is not None and now is not None and before != now
        row["before"] += before or 0
        row["after"] += now or 0
    return dict(out)


def as_dict(result) -> dict[str, dict]:
    return {
        r.code: {"newly": r.newly, "losing": r.losing, "changed": r.amount_changed, "before": r.before,
                 "after": r.after}
        for r in result.rows
    }


def test_a_new_amount_for_the_80_89_band_counts_the_elders_and_the_cost_per_township(yangling, regions):
    for age, village in ((82, VILLAGE), (85, OTHER_VILLAGE_SAME_TOWNSHIP), (72, VILLAGE), (83, NEIGHBOUR_VILLAGE)):
        ElderFactory(region=regions[village], birth_date=born(age))
    ElderFactory(region=regions[VILLAGE], birth_date=born(84), local_hukou=False)  # no allowance at all
    ElderFactory(region=regions[VILLAGE], birth_date=born(81), deceased_on=dt.date(2026, 11, 2))  # not counted
    ElderFactory(region=regions[OTHER_COUNTY_VILLAGE], birth_date=born(82))  # another county
    before = (BenefitRule.objects.count(), Enrolment.objects.count())

    result = what_if(draft=Draft.amount(band("80–89周岁档"), Decimal("150")), county=regions[COUNTY], today=TODAY)

    assert result.period == DEC
    assert as_dict(result) == {
        "610403001000": {"newly": 0, "losing": 0, "changed": 2, "before": Decimal("250.00"), "after": Decimal("350.00")},
        "610403002000": {"newly": 0, "losing": 0, "changed": 1, "before": Decimal("100.00"), "after": Decimal("150.00")},
    }
    total = result.total
    assert (total.amount_changed, total.difference) == (3, Decimal("150.00"))
    assert (BenefitRule.objects.count(), Enrolment.objects.count()) == before  # nothing written
    assert band("80–89周岁档").amount == Decimal("100.00")


@pytest.fixture
def mixed_elders(regions):
    """60 elders with seeded random ages, statuses and abilities over three villages of two townships."""
    rng = random.Random(4)
    villages = [regions[VILLAGE], regions[OTHER_VILLAGE_SAME_TOWNSHIP], regions[NEIGHBOUR_VILLAGE]]
    for _ in range(60):
        ElderFactory(
            region=rng.choice(villages), birth_date=born(rng.randint(55, 102), rng.randint(1, 12)),
            sex=rng.choice("MF"), local_hukou=rng.random() < 0.85,
            economic_status=rng.choice(["normal", "normal", "dibao", "dibao_edge", "tekun_home"]),
            ability_level=rng.choice([None, 0, 1, 2, 3, 4]),
        )
    return list(Elder.objects.all())


@pytest.mark.parametrize("make", [
    pytest.param(lambda r: Draft.amount(band("70–79周岁档"), Decimal("80")), id="amount"),
    pytest.param(lambda r: Draft.band(Benefit.objects.get(code="age_allowance"), county=r, age_min=65, age_max=70,
                                      amount=Decimal("30"), like=band("70–79周岁档")), id="new-band"),
    pytest.param(lambda r: Draft.band(Benefit.objects.get(code="age_allowance"), county=r, age_min=75, age_max=80,
                                      amount=Decimal("60"), like=band("70–79周岁档")), id="higher-band-inside"),
    pytest.param(lambda r: Draft.amount(
        BenefitRule.objects.get(benefit__code="care_fee", label="（全护理）"), Decimal("600")), id="care-fee"),
    pytest.param(lambda r: Draft.new_benefit(
        name="困难老人慰问金", county=r, criteria={"economic_status": ["dibao", "dibao_edge"], "age": {"min": 70}},
        amount=Decimal("120")), id="new-benefit"),
])
def test_numbers_equal_an_independent_count_in_python(yangling, regions, mixed_elders, make):
    draft = make(regions[COUNTY])
    result = what_if(draft=draft, county=regions[COUNTY], today=TODAY)
    expected = independent(draft, regions[COUNTY], mixed_elders)
    assert as_dict(result) == expected
    assert expected  # the fixture is not trivially empty


def test_a_new_benefit_needs_valid_criteria(regions):
    with pytest.raises(DraftError, match="未知的条件项"):
        Draft.new_benefit(name="x", county=regions[COUNTY], criteria={"agee": 3}, amount=Decimal("1"))


# ---- the page --------------------------------------------------------------------------------

def url(**params):
    from urllib.parse import urlencode

    return reverse("eligibility:whatif") + ("?" + urlencode(params) if params else "")


def test_the_county_admin_sees_the_form_and_a_table_per_township(client, county_admin, yangling, regions):
    ElderFactory(region=regions[VILLAGE], birth_date=born(82))
    ElderFactory(region=regions[NEIGHBOUR_VILLAGE], birth_date=born(66))
    client.force_login(county_admin)
    assert client.get(url()).status_code == 200
    response = client.get(url(county=regions[COUNTY].pk, kind="band", benefit=Benefit.objects.get(code="age_allowance").pk,
                              rule=band("70–79周岁档").pk, age_min=65, age_max=70, amount="30", period="2026-12"))
    assert response.status_code == 200, response.content.decode()[:500]
    result = response.context["result"]
    assert as_dict(result) == {  # the unaffected township still shows its cost, for the county total
        "610403001000": {"newly": 0, "losing": 0, "changed": 0, "before": Decimal("100.00"), "after": Decimal("100.00")},
        "610403002000": {"newly": 1, "losing": 0, "changed": 0, "before": Decimal("0.00"), "after": Decimal("30.00")},
    }
    assert 'data-township="610403002000"' in response.content.decode()


def test_the_page_reports_bad_criteria_in_chinese(client, county_admin, yangling, regions):
    client.force_login(county_admin)
    response = client.get(url(county=regions[COUNTY].pk, kind="new_benefit", criteria="{\"age\": 5}", amount="10"))
    assert response.status_code == 200 and response.context["result"] is None
    assert "条件“年龄”应写成" in response.content.decode()


def test_a_user_with_a_township_area_counts_only_their_township(client, officer, yangling, regions):
    officer.user_permissions.add(Permission.objects.get(codename="change_benefitrule"))
    ElderFactory(region=regions[VILLAGE], birth_date=born(82))
    ElderFactory(region=regions[NEIGHBOUR_VILLAGE], birth_date=born(83))
    client.force_login(officer)
    response = client.get(url(county=regions[COUNTY].pk, kind="amount", rule=band("80–89周岁档").pk, amount="150"))
    assert response.status_code == 200
    assert [r.code for r in response.context["result"].rows] == ["610403001000"]
    # another county is not offered
    bad = client.get(url(county=Region.objects.get(code=OTHER_COUNTY).pk, kind="amount", rule=band("80–89周岁档").pk,
                         amount="150"))
    assert bad.context["result"] is None and "county" in bad.context["form"].errors


@pytest.mark.parametrize("persona", ["officer", "village_worker", "auditor"])
def test_roles_without_the_catalogue_change_permission_are_refused(client, persona, request, regions):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url()).status_code == 403


def test_anonymous_users_are_sent_to_login(client, regions):
    assert client.get(url()).status_code == 302
