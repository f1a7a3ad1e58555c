"""Benchmark of the roll import: ``python -m bench import-roll`` (or ``python -m bench.import_roll``).

A 100,000-row .xlsx roll of new elders for the villages of one county (registry.synthetic, fixed
seed) is imported end to end — parse → validate → upsert, ``imports.services.batch_import_now``, as
the CLI does — three times (reset between runs), then re-imported three times unchanged; finally the
first 10,000 rows go through django-import-export's default row-by-row path (a plain ModelResource,
``import_data``) as the baseline, in the same process. Each import runs in a forked child so its peak
RSS is its own. Prints rows/s, median/min/max, peak memory and the per-row ratio; writes
bench/results/import_roll.json.

The imported elders get ID numbers with the address code 990000 (no real county uses it) and 户号
"BI-…", so they never collide with the generator's elders, and are deleted again afterwards: the
bench database is shared with ``python -m bench generate`` and ``list``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ID_PREFIX = "990000"
HOUSEHOLD_PREFIX = "BI-"
SEED = 20261125
BENCH_USER = "bench_importer"


def _parser() -> argparse.ArgumentParser:
    from . import database

    parser = argparse.ArgumentParser(prog="python -m bench import-roll", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=database.default_database_url())
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--name", default="import_roll")
    return parser


def choose_county() -> tuple[str, list[str]]:
    """The county with the most villages in the seed, and its village codes."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    from regions.models import Region

    villages = Region.objects.filter(level=Region.Level.VILLAGE)
    top = (villages.annotate(county=Substr("code", 1, 6)).values("county").annotate(n=Count("id"))
           .order_by("-n", "county").first())
    county = top["county"]
    return county, list(villages.in_area(county).order_by("code").values_list("code", flat=True))


def bench_user(county: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from regions import roles
    from regions.models import Region, StaffAssignment
    from regions.services import staff_assignment_create

    user, _ = get_user_model().objects.get_or_create(username=BENCH_USER, defaults={"is_active": True})
    region = Region.objects.get(code=county.ljust(12, "0"))
    if not StaffAssignment.objects.filter(user=user, region=region).exists():
        staff_assignment_create(actor=None, user=user, region=region, role=Group.objects.get(name=roles.COUNTY_ADMIN))
    return user


def write_roll(path: Path, *, rows: int, villages: list[str], seed: int = SEED, phone_suffix: str = "") -> list[list]:
    """The roll as a clerk would fill the template; returns the first rows (for the baseline).
    ``phone_suffix`` replaces the last digits of every phone (the "changed" roll: every row an update)."""
    import xlsxwriter

    from registry import importers, rules, synthetic

    labels = {key: lookup.labels for key, lookup in importers.LOOKUPS.items()}
    header = [c.label for c in importers.ROLL_COLUMNS]
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("户籍花名册")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, header)
    kept: list[list] = []
    for index, e in enumerate(synthetic.generate(n=rows, village_codes=villages, today=dt.date(2026, 11, 25), seed=seed),
                              start=1):
        first17 = ID_PREFIX + e.id_number[6:17]
        id_number = first17 + rules.check_char(first17)
        values = [
            id_number, e.name, labels["sex"][e.sex], None, HOUSEHOLD_PREFIX + e.household_key.split("-")[-1],
            labels["relation_to_head"][e.relation_to_head], labels["hukou_type"][e.hukou_type], e.region_code,
            f"{e.region_code[-3:]}号院", (e.phone[:-len(phone_suffix)] + phone_suffix) if phone_suffix and e.phone else e.phone,
            labels["economic_status"][e.economic_status],
            labels["living_arrangement"][e.living_arrangement],
            labels["disability_category"][e.disability_category] if e.disability_category else "",
            labels["disability_grade"][e.disability_grade] if e.disability_grade else "",
            labels["special_family"][e.special_family] if e.special_family else "",
            labels["veteran_category"][e.veteran_category] if e.veteran_category else "",
            "是" if e.local_hukou else "否", e.bank_name, e.bank_account, "",
        ]
        for col, value in enumerate(values):
            if col == 3:
                sheet.write_datetime(index, col, dt.datetime.combine(e.birth_date, dt.time()), date_format)
            elif value not in ("", None):
                sheet.write_string(index, col, value)
        if len(kept) < 20_000:
            kept.append([id_number, e])
    workbook.close()
    return kept


def reset() -> None:
    """Delete what the benchmark imported (elders, households, their history, its batches)."""
    from django.db import connection, transaction

    from registry.models import Elder, Household
    from imports.models import ImportBatch

    with transaction.atomic():
        Elder.history.filter(id_number__startswith=ID_PREFIX).delete()
        Household.history.filter(household_number__startswith=HOUSEHOLD_PREFIX).delete()
        Elder.objects.filter(id_number__startswith=ID_PREFIX)._raw_delete(connection.alias)
        Household.objects.filter(household_number__startswith=HOUSEHOLD_PREFIX)._raw_delete(connection.alias)
        for batch in ImportBatch.objects.filter(uploaded_by__username=BENCH_USER):
            batch.file.delete(save=False)
            batch.error_report.delete(save=False)
            batch.delete()


def _child(target, args, queue) -> None:
    import resource

    try:
        seconds, detail = target(*args)
        queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, detail, None))
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        queue.put((0.0, 0, {}, f"{type(exc).__name__}: {exc}"))


def in_child(target, *args) -> tuple[float, int, dict]:
    """Run target(*args) -> (seconds, detail) in a forked child; return it with the child's peak RSS (KiB)."""
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(target, args, queue))
    process.start()
    seconds, peak, detail, error = queue.get()
    process.join()
    if error:
        raise RuntimeError(error)
    return seconds, peak, detail


def ours(user_pk: int, path: str) -> tuple[float, dict]:
    from django.contrib.auth import get_user_model

    from imports import services

    user = get_user_model().objects.get(pk=user_pk)
    started = time.perf_counter()
    batch = services.batch_import_now(actor=user, kind="roll", path=path)
    return time.perf_counter() - started, {"counts": batch.counts, "status": batch.status}


def baseline(user_pk: int, kept: list) -> tuple[float, dict]:
    """django-import-export's default path: a plain ModelResource, import_data, one row at a time."""
    import tablib
    from import_export import resources

    from registry.models import Elder
    from regions.models import Region

    class PlainElderResource(resources.ModelResource):
        class Meta:
            model = Elder
            import_id_fields = ("id_number",)
            fields = ("id_number", "name", "sex", "birth_date", "region", "region_code", "phone", "relation_to_head",
                      "hukou_type", "economic_status", "living_arrangement", "disability_category",
                      "disability_grade", "special_family", "veteran_category", "local_hukou", "bank_name",
                      "bank_account", "address")

    region_ids = dict(Region.objects.filter(code__in={e.region_code for _, e in kept}).values_list("code", "id"))
    dataset = tablib.Dataset(headers=list(PlainElderResource.Meta.fields))
    for id_number, e in kept:
        dataset.append([id_number, e.name, e.sex, e.birth_date.isoformat(), region_ids[e.region_code], e.region_code,
                        e.phone, e.relation_to_head, e.hukou_type, e.economic_status, e.living_arrangement,
                        e.disability_category, e.disability_grade or "", e.special_family, e.veteran_category,
                        "1" if e.local_hukou else "0", e.bank_name, e.bank_account, f"{e.region_code[-3:]}号院"])
    started = time.perf_counter()
    result = PlainElderResource().import_data(dataset, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - started
    return seconds, {"totals": dict(result.totals)}


def run(*, rows: int = 100_000, baseline_rows: int = 10_000, runs: int = 3, name: str = "import_roll",
        results_dir: Path | None = None) -> dict:
    from . import report
    from .generate import ensure_regions

    ensure_regions()
    county, villages = choose_county()
    user = bench_user(county)
    print(f"county {county}: {len(villages)} villages; generating a {rows:,}-row roll (seed {SEED}) …", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    path = workdir / "roll.xlsx"
    started = time.perf_counter()
    kept = write_roll(path, rows=rows, villages=villages)
    changed_path = workdir / "roll-changed.xlsx"
    write_roll(changed_path, rows=rows, villages=villages, phone_suffix="0000")
    print(f"  written {path.stat().st_size / 1024 / 1024:.1f} MB (and the changed roll) in "
          f"{time.perf_counter() - started:.1f} s", flush=True)

    measurements: list = []
    details: dict = {}
    try:
        reset()
        first: list[float] = []
        peaks: list[int] = []
        again: list[float] = []
        again_peaks: list[int] = []
        changed: list[float] = []
        changed_peaks: list[int] = []
        for run_index in range(runs):
            seconds, peak, detail = in_child(ours, user.pk, str(path))
            assert detail["counts"]["new"] == rows, detail
            first.append(seconds)
            peaks.append(peak)
            print(f"  run {run_index + 1}: new import {seconds:.1f} s, peak RSS {peak / 1024:.0f} MiB", flush=True)
            seconds, peak, detail = in_child(ours, user.pk, str(path))
            assert detail["counts"]["unchanged"] == rows, detail
            again.append(seconds)
            again_peaks.append(peak)
            print(f"  run {run_index + 1}: re-import (all unchanged) {seconds:.1f} s, peak RSS {peak / 1024:.0f} MiB",
                  flush=True)
            seconds, peak, detail = in_child(ours, user.pk, str(changed_path))
            assert detail["counts"]["error"] == 0 and detail["counts"]["updated"] >= rows * 0.5, detail
            changed.append(seconds)
            changed_peaks.append(peak)
            print(f"  run {run_index + 1}: re-import (every phone changed) {seconds:.1f} s, peak RSS {peak / 1024:.0f} MiB",
                  flush=True)
            reset()
        base: list[float] = []
        base_peaks: list[int] = []
        for run_index in range(runs):
            seconds, peak, detail = in_child(baseline, user.pk, kept[:baseline_rows])
            base.append(seconds)
            base_peaks.append(peak)
            print(f"  run {run_index + 1}: django-import-export default path, {baseline_rows:,} rows: {seconds:.1f} s",
                  flush=True)
            reset()
    finally:
        reset()
        path.unlink(missing_ok=True)
        changed_path.unlink(missing_ok=True)
        workdir.rmdir()

    def measurement(label, samples, n, peak_list):
        return report.Measurement(benchmark=label, samples_ms=[s * 1000 for s in samples],
                                  rows_per_second=n / statistics.median(samples), peak_memory_kib=max(peak_list),
                                  details={"peak_memory": "peak RSS of the forked child that ran the import"})

    measurements = [
        measurement(f"roll import, {rows:,} new elders (parse→validate→upsert)", first, rows, peaks),
        measurement(f"roll re-import, {rows:,} unchanged", again, rows, again_peaks),
        measurement(f"roll re-import, {rows:,} phones changed (locked compare-and-set update)", changed, rows,
                    changed_peaks),
        measurement(f"django-import-export default row-by-row, {baseline_rows:,} new", base, baseline_rows, base_peaks),
    ]
    ratio = measurements[0].rows_per_second / measurements[3].rows_per_second
    print()
    print(report.format_table(measurements))
    print(f"\nper-row ratio (ours new-elder import / django-import-export default path): {ratio:.1f}×")
    print(f"targets: new ≤ 30 s → {'met' if statistics.median(first) <= 30 else 'MISSED'}; "
          f"re-import ≤ 15 s → {'met' if statistics.median(again) <= 15 else 'MISSED'}; "
          f"changed ≤ 30 s → {'met' if statistics.median(changed) <= 30 else 'MISSED'}; "
          f"peak ≤ 1 GiB → {'met' if max(peaks + again_peaks + changed_peaks) <= 1024 * 1024 else 'MISSED'}; "
          f"ratio ≥ 10× → {'met' if ratio >= 10 else 'MISSED'}")
    details.update(county=county, villages=len(villages), rows=rows, baseline_rows=baseline_rows, seed=SEED,
                   ratio_per_row=round(ratio, 1))
    written = report.write_json(name, {"machine": report.machine_info(), **details,
                                        "measurements": [m.as_dict() for m in measurements]}, results_dir)
    print(f"written {written}")
    return {"measurements": measurements, "ratio": ratio, "path": written}


def main(argv: list[str] | None = None) -> int:
    import django

    from . import database

    args = _parser().parse_args(argv)
    if database.is_postgres(args.database_url) and database.ensure_postgres_database(args.database_url):
        print(f"created database {args.database_url}")
    database.use_database(args.database_url)
    django.setup()
    database.migrate()
    run(rows=args.rows, baseline_rows=args.baseline_rows, runs=args.runs, name=args.name)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.exit(main())
