"""The dashboard benchmark at tiny scale, so it cannot rot between real runs (bench/README.md)."""

from __future__ import annotations

import json

import pytest

from bench import cli, generate

pytestmark = [pytest.mark.bench, pytest.mark.django_db]


def test_dashboard_benchmark_times_every_page_for_three_roles(regions, tmp_path, frozen):
    generate.generate(n=300, seed=7)
    outcome, path = cli.run_dashboard(runs=1, requests=1, results_dir=tmp_path)
    assert [p["role"] for p in outcome["personas"]] == ["county admin", "township officer", "village worker"]
    names = {m["benchmark"] for m in json.loads(path.read_text(encoding="utf-8"))["measurements"]}
    for role in ("county admin", "township officer", "village worker"):
        for page in ("home", "statistics", "services", "beds", "indicators"):
            assert f"{role}: {page}" in names
    assert outcome["baseline_ratio"] and outcome["snapshot_rows"] > 0
