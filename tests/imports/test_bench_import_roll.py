"""The roll-import benchmark at tiny scale, so it cannot rot (docs/contributing.md, "Benchmarks")."""

from __future__ import annotations

import json

import pytest

from bench import import_roll
from registry.models import Elder, Household

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]


def test_the_import_benchmark_runs_ours_and_the_baseline_and_cleans_up(regions, tmp_path, settings, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    # forked children cannot share the test transaction's database on SQLite; run in-process here
    def in_process(target, *args):
        seconds, detail = target(*args)
        return seconds, 1, detail

    monkeypatch.setattr(import_roll, "in_child", in_process)
    outcome = import_roll.run(rows=60, baseline_rows=10, runs=1, results_dir=tmp_path)
    document = json.loads(outcome["path"].read_text(encoding="utf-8"))
    assert [m["benchmark"].split(",")[0] for m in document["measurements"]] == [
        "roll import", "roll re-import", "roll re-import", "django-import-export default row-by-row"]
    assert outcome["ratio"] > 0
    assert not Elder.objects.filter(id_number__startswith=import_roll.ID_PREFIX).exists()
    assert not Household.objects.filter(household_number__startswith=import_roll.HOUSEHOLD_PREFIX).exists()
