"""The benchmark harness at tiny scale, so it cannot rot between real runs (docs/contributing.md, "Benchmarks").

Runs against pytest's test database: bulk_create on SQLite, COPY on PostgreSQL.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bench import cli, generate
from registry import rules
from registry.models import Elder, Household
from regions.models import Region
from tests.factories import ElderFactory

pytestmark = [pytest.mark.bench, pytest.mark.django_db]

N = 300


def test_generator_writes_n_valid_elders_in_village_regions_reproducibly(regions, tmp_path):
    path = cli.run_generate(elders=N, seed=7, results_dir=tmp_path)

    elders = list(Elder.objects.values_list("id_number", "sex", "birth_date", "region_code", "region__level",
                                            "household_id"))
    assert len(elders) == N
    for id_number, sex, birth_date, region_code, level, _ in elders:
        parsed = rules.parse_id_number(id_number)  # raises on a bad check digit or date
        assert (parsed.sex, parsed.birth_date) == (sex, birth_date)
        assert id_number[:6] == region_code[:6]  # address code = the village's county
        assert level == Region.Level.VILLAGE
    household_sizes = Counter(household for *_, household in elders)
    assert set(household_sizes.values()) <= {1, 2}
    assert Household.objects.count() == len(household_sizes)

    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["elders"] == N
    assert document["machine"]["nproc"] >= 1

    first_run = sorted(e[0] for e in elders)
    cli.run_generate(elders=N, seed=7, results_dir=tmp_path)  # a rerun replaces, not adds
    assert sorted(Elder.objects.values_list("id_number", flat=True)) == first_run


def test_generator_refuses_to_delete_elders_it_did_not_write(regions):
    ElderFactory(region=regions["610403001001"])
    with pytest.raises(generate.GenerateRefused):
        generate.generate(n=10)
    assert Elder.objects.count() == 1


def test_list_benchmark_times_real_pages_that_show_the_total(regions, settings, tmp_path):
    settings.LIST_PAGE_SIZE = 5  # so that page 2 exists in a township of a 300-elder county
    generate.generate(n=N, seed=7)

    outcome, path = cli.run_list(runs=1, requests=2, pages=(1, 2), results_dir=tmp_path)

    cases = {case["label"]: case for case in outcome["cases"]}
    assert cases["page 2, all"]["page"] == 2
    for m in outcome["measurements"]:
        assert m.median_ms > 0 and len(m.samples_ms) == 2
    for case in outcome["cases"]:
        assert case["status_code"] == 200
        assert case["shows_total"], f"{case['label']}: page lacks 共 {case['expected_count']} 人"
    assert cases["page 2, all"]["expected_count"] > 5
    assert outcome["baseline_ratio"]
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["machine"]["database_vendor"] in ("sqlite", "postgresql")
    assert document["elders_total"] == N
