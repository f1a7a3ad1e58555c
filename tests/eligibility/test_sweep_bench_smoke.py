"""The sweep benchmark (bench/sweep.py) at tiny scale, so it cannot rot between real runs."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bench import cli, generate
from eligibility.models import BenefitRule, Enrolment
from registry.models import Elder

pytestmark = [pytest.mark.bench, pytest.mark.django_db]


def test_sweep_benchmark_runs_checks_zero_writes_and_agrees_with_the_reference(regions, tmp_path):
    generate.generate(n=300, seed=7)
    before = sorted(Elder.objects.values_list("pk", "economic_status", "ability_level", "deceased_on"))

    # Two counties keep it quick on SQLite; the full run sweeps every county with elders.
    two = [c for c, _ in Counter(e[:6] + "000000" for e in Elder.objects.values_list("region_code", flat=True))
           .most_common(2)]
    outcome, path = cli.run_sweep(runs=1, sample=20, seed=7, results_dir=tmp_path, counties=two)

    full, unchanged, changed, monthly, ref = outcome["measurements"]
    assert full.details["enrolments"] > 0
    assert unchanged.details["zero_writes"] and unchanged.details["changed_rows"] == [0]
    assert changed.details["elders_changed"] >= 1
    assert monthly.details["changed_rows"] == 0 and monthly.details["runs_by_mode"] == {"full": 2}
    assert ref.details["disagreements"] == 0 and ref.details["decisions"] == 20 * outcome["setup"]["benefits"]
    assert outcome["per_county"]["counties"] == outcome["counties"] == 2
    # the registry is restored (a restore is a change: updated_at moves), and the enrolments follow it:
    # a full sweep now finds nothing to do; the clone covers every generated elder's province
    assert sorted(Elder.objects.values_list("pk", "economic_status", "ability_level", "deceased_on")) == before
    from bench.sweep import sweep_all
    _, _, runs = sweep_all(two, full=True)
    assert [r.total_changes for r in runs] == [0, 0]
    provinces = {c[:2] for c in Elder.objects.values_list("region_code", flat=True)}
    covered = {c[:2] for c in BenefitRule.objects.values_list("jurisdiction__code", flat=True)}
    assert provinces <= covered
    assert Enrolment.objects.exists()
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["elders"] == outcome["elders"] > 0 and set(document["met"]) == {"full", "unchanged", "changed"}
