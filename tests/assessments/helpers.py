"""Answers, instruments and assessments for the assessment tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assessments import rules, services
from assessments.instrument import GBT_42195_2022, INDICATORS
from assessments.models import Assessment, Status

# The pure instrument straight from the data the migration loads (no database needed).
INSTRUMENT = rules.Instrument(
    standard=GBT_42195_2022,
    indicators=tuple(rules.IndicatorSpec(code, name, maximum) for code, name, maximum, _ in INDICATORS),
    items=tuple(
        rules.ItemSpec(item_code, code, item_name, frozenset(s for s, _ in options))
        for code, _, _, items in INDICATORS
        for item_code, item_name, options in items
    ),
)
ITEM_CODES = INSTRUMENT.item_codes
MAXIMA = {item.code: max(item.scores) for item in INSTRUMENT.items}


def answers_for_total(total: int) -> dict[str, int]:
    """A complete, valid set of answers adding up to ``total`` (take points off from the last item)."""
    assert 0 <= total <= 90
    answers = dict(MAXIMA)
    to_remove = 90 - total
    for code in reversed(ITEM_CODES):
        take = min(answers[code], to_remove)
        answers[code] -= take
        to_remove -= take
    return answers


def data(assessor_1, assessor_2, *, total: int = 70, **overrides: Any) -> dict[str, Any]:
    base = {
        "reason": "first",
        "assessed_on": dt.date(2026, 11, 20),
        "place": "老人家中",
        "assessor_1": assessor_1,
        "assessor_2": assessor_2,
        "informant_name": "王小明",
        "informant_relation": "儿子",
        "answers": answers_for_total(total),
    }
    base.update(overrides)
    return base


def create(actor, elder, assessor_1, assessor_2, *, today=dt.date(2026, 11, 25), **kw) -> Assessment:
    return services.assessment_create(
        actor=actor, elder=elder, data=data(assessor_1, assessor_2, **kw), today=today
    )


def approved(actor, reviewer, elder, assessor_1, assessor_2, **kw) -> Assessment:
    a = create(actor, elder, assessor_1, assessor_2, **kw)
    services.assessment_submit(actor=actor, assessment=a, today=dt.date(2026, 11, 25))
    return services.assessment_approve(actor=reviewer, assessment=a)


def matrix_assessments(request) -> tuple[Assessment, Assessment]:
    """(a draft in our township, a draft in another county) written directly, for the URL matrix."""
    from tests.conftest import OTHER_COUNTY_VILLAGE
    from tests.factories import ElderFactory

    own_elder = request.getfixturevalue("elder")
    regions = request.getfixturevalue("regions")
    far = ElderFactory(region=regions[OTHER_COUNTY_VILLAGE])
    made = []
    for elder in (own_elder, far):
        made.append(
            Assessment.objects.create(
                elder=elder, region_code=elder.region_code, reason="first", assessed_on=dt.date(2026, 11, 20),
                answers=answers_for_total(70), subtotals={}, total_score=70, preliminary_level=1, final_level=1,
                status=Status.DRAFT,
            )
        )
    return made[0], made[1]
