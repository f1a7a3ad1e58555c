"""The benchmark command line: ``python -m bench generate|list|sweep|dashboard|soak`` (see bench/README.md).

The database is chosen before Django starts: ``--database-url``, else ``BENCH_DATABASE_URL``, else
``postgres://postgres@127.0.0.1:5432/yiyang_bench``. A PostgreSQL database is created if missing,
and every command migrates it first, so a fresh server needs no other step.

``run_generate`` and ``run_list`` are the commands without the setup (bench/__main__.py does that);
the smoke test calls them directly against pytest's test database.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from . import database


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def add_common(sub):
        sub.add_argument(
            "--database-url", default=database.default_database_url(),
            help="database to fill and measure (default: $BENCH_DATABASE_URL or %(default)s)",
        )
        sub.add_argument("--name", help="result file name, bench/results/<name>.json (default: the command)")

    gen = commands.add_parser("generate", help="fill the database with N synthetic elders (deterministic)")
    add_common(gen)
    gen.add_argument("--elders", type=int, required=True, help="number of elders, e.g. 1000000")
    gen.add_argument("--seed", type=int, default=20261125)
    gen.add_argument("--reset", action="store_true",
                     help="also delete elders the generator did not write (refused otherwise)")
    gen.add_argument("--keep-indexes", action="store_true",
                     help="load with secondary indexes and foreign keys in place instead of rebuilding them")

    lst = commands.add_parser("list", help="time the township officer's elder list against the naive baseline")
    add_common(lst)
    lst.add_argument("--runs", type=int, default=3, help="rounds over all cases (default %(default)s)")
    lst.add_argument("--requests", type=int, default=15,
                     help="timed requests per case and round (default %(default)s)")
    lst.add_argument("--pages", type=int, nargs="+", default=[1, 200], help="page numbers (default: 1 200)")

    swp = commands.add_parser("sweep", help="time the nightly re-eligibility sweep against per-elder Python")
    add_common(swp)
    swp.add_argument("--runs", type=int, default=3, help="rounds of each case (default %(default)s)")
    swp.add_argument("--sample", type=int, default=10_000, help="elders for the Python baseline (default %(default)s)")
    swp.add_argument("--seed", type=int, default=20261125)
    swp.add_argument("--workers", type=int, default=2,
                     help="counties swept at a time, as Celery workers would (default %(default)s; SQLite: 1)")

    soak = commands.add_parser("soak", help="N staff sessions against gunicorn + a worker on 127.0.0.1 for a bounded time")
    add_common(soak)
    from .soak import add_arguments as add_soak_arguments

    add_soak_arguments(soak)

    dsh = commands.add_parser("dashboard", help="time the home and statistics pages for three roles")
    add_common(dsh)
    dsh.add_argument("--runs", type=int, default=3, help="rounds over all pages (default %(default)s)")
    dsh.add_argument("--requests", type=int, default=5,
                     help="timed requests per page, role and round (default %(default)s)")
    bombs = commands.add_parser("upload-bombs", help="time refusing hostile uploads (xlsx bombs, a 100 MB file)")
    add_common(bombs)
    bombs.add_argument("--runs", type=int, default=3, help="attempts per file and path (default %(default)s)")
    return parser


def run_generate(
    *, elders: int, seed: int = 20261125, reset: bool = False, keep_indexes: bool = False,
    name: str = "generate", results_dir: Path | None = None,
) -> Path:
    """Generate, print the table and write the JSON; return the JSON path."""
    from . import generate, report

    print(f"generating {elders:,} elders (seed {seed}) …", flush=True)
    result = generate.generate(n=elders, seed=seed, reset=reset, drop_indexes=not keep_indexes)
    peak = report.process_peak_rss_kib()
    m = report.Measurement(
        benchmark=f"generate {result.elders:,} elders ({result.vendor})",
        samples_ms=[result.seconds * 1000.0],
        rows_per_second=result.rows_per_second,
        peak_memory_kib=peak,
        details={
            "households": result.households,
            "load_seconds": round(result.load_seconds, 2),
            "fk_check_seconds": round(result.fk_check_seconds, 2),
            "index_seconds": round(result.index_seconds, 2),
            "commit_seconds": round(result.commit_seconds, 2),
            "analyze_seconds": round(result.analyze_seconds, 2),
            "indexes_rebuilt_after_load": not keep_indexes,
            "peak_memory": "process peak RSS",
        },
    )
    print(report.format_table([m]))
    print(
        f"\n{result.elders:,} elders and {result.households:,} households in {result.seconds:.1f} s "
        f"({result.rows_per_second:,.0f} elders/s): load {result.load_seconds:.1f} s, "
        f"foreign-key checks {result.fk_check_seconds:.1f} s, indexes and keys {result.index_seconds:.1f} s, "
        f"commit {result.commit_seconds:.1f} s, analyze {result.analyze_seconds:.1f} s; "
        f"peak RSS {peak / 1024:,.0f} MiB"
    )
    print("largest townships: " + "; ".join(f"{n} {code} {count:,}" for code, n, count in result.largest_townships))
    path = report.write_json(name, {
        "machine": report.machine_info(),
        "elders": result.elders,
        "households": result.households,
        "seed": seed,
        "largest_townships": result.largest_townships,
        "measurements": [m.as_dict()],
    }, results_dir)
    print(f"written {path}")
    return path


def run_list(
    *, runs: int = 3, requests: int = 15, pages=(1, 200), name: str = "list", results_dir: Path | None = None,
) -> tuple[dict, Path]:
    """Run the list benchmark, print the table and ratios, write the JSON; return both."""
    from . import listing, report

    # The test client builds the middleware stack; WhiteNoise warns that collectstatic never ran.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    outcome = listing.run_list_benchmark(runs=runs, requests=requests, pages=tuple(pages))
    township = outcome["township"]
    print(
        f"township officer of {township['name']} ({township['code']}, {township['villages']} villages, "
        f"{outcome['elders_in_township']:,} of {outcome['elders_total']:,} elders); "
        f"{runs} rounds × {requests} requests per case; peak memory = tracemalloc peak of one extra call\n"
    )
    print(report.format_table(outcome["measurements"]))
    print("\nbaseline ratio (naive median / query median — what the composite index and prefix scoping buy):")
    for label, ratio in outcome["baseline_ratio"].items():
        print(f"  {label:<32} {ratio:6.1f}×")
    path = report.write_json(name, {
        "machine": report.machine_info(),
        **{key: value for key, value in outcome.items() if key != "measurements"},
        "measurements": [m.as_dict() for m in outcome["measurements"]],
    }, results_dir)
    print(f"written {path}")
    return outcome, path


def run_sweep(
    *, runs: int = 3, sample: int = 10_000, seed: int = 20261125, name: str = "sweep", results_dir: Path | None = None,
    counties: list[str] | None = None, workers: int = 2,
) -> tuple[dict, Path]:
    """Run the sweep benchmark (bench/sweep.py), print the table, write the JSON; return both."""
    from . import report, sweep

    outcome = sweep.run_sweep_benchmark(runs=runs, sample=sample, seed=seed, counties=counties, workers=workers)
    print()
    print(report.format_table(outcome["measurements"]))
    ref = outcome["measurements"][-1]
    print(f"\nbaseline ratio (reference per elder, extrapolated to {outcome['elders']:,} elders = "
          f"{outcome['reference_extrapolated_s']:,.0f} s / full sweep median): {outcome['baseline_ratio']:,.1f}×; "
          f"reference and sweep agree on all {ref.details['decisions']:,} decisions")
    unchanged = outcome["measurements"][1]
    print(f"unchanged night: changed rows per round {unchanged.details['changed_rows']} (zero writes asserted), "
          f"elders evaluated {unchanged.details['elders_evaluated']:,}; {outcome['workers']} worker(s)")
    pc = outcome["per_county"]
    print(f"per county ({pc['counties']} counties, last full round): min {pc['min_s']:.2f} s, median {pc['median_s']:.2f} s, "
          f"p90 {pc['p90_s']:.2f} s, max {pc['max_s']:.2f} s; slowest: "
          + "; ".join(f"{s['county'][:6]} {s['seconds']:.2f} s ({s['elders']:,} elders)" for s in pc["slowest"]))
    print("targets: " + ", ".join(f"{k} ≤ {v:.0f} s {'met' if outcome['met'][k] else 'MISSED'}"
                                  for k, v in outcome["targets_s"].items()))
    path = report.write_json(name, {
        "machine": report.machine_info(),
        **{key: value for key, value in outcome.items() if key != "measurements"},
        "measurements": [m.as_dict() for m in outcome["measurements"]],
    }, results_dir)
    print(f"written {path}")
    return outcome, path


def run_dashboard(
    *, runs: int = 3, requests: int = 5, name: str = "dashboard", results_dir: Path | None = None,
) -> tuple[dict, Path]:
    """Run the dashboard benchmark (bench/dashboard.py), print the table, write the JSON; return both."""
    from . import dashboard, report

    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    outcome = dashboard.run_dashboard_benchmark(runs=runs, requests=requests)
    for p in outcome["personas"]:
        print(f"{p['role']}: {p['name']} ({p['area']}), {p['elders']:,} living elders")
    print(f"{outcome['elders_total']:,} elders in the database; {runs} rounds × {requests} requests per page\n")
    print(report.format_table(outcome["measurements"]))
    if outcome["baseline_ratio"]:
        print(f"\nbaseline ratio (county admin's elder statistics; nightly profile = 1): per elder in Python "
              f"{outcome['baseline_ratio']:,.1f}×, live grouped SQL {outcome['live_ratio']:,.1f}×")
    print(f"target: every page median < {outcome['target_ms']} ms — "
          f"{'met' if outcome['all_pages_under_target'] else 'MISSED'} (slowest: {outcome['slowest_page']})")
    path = report.write_json(name, {
        "machine": report.machine_info(),
        **{key: value for key, value in outcome.items() if key != "measurements"},
        "measurements": [m.as_dict() for m in outcome["measurements"]],
    }, results_dir)
    print(f"written {path}")
    return outcome, path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return _parser().parse_args(argv)


def run(args: argparse.Namespace) -> int:
    """Run a parsed command; Django must be set up (bench/__main__.py does it)."""
    if args.command == "generate":
        from .generate import GenerateRefused

        try:
            run_generate(
                elders=args.elders, seed=args.seed, reset=args.reset, keep_indexes=args.keep_indexes,
                name=args.name or "generate",
            )
        except GenerateRefused as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 2
    elif args.command == "soak":
        from .soak import run as run_soak

        return run_soak(args)
    elif args.command == "upload-bombs":
        from . import upload_bombs

        return 0 if all(v.endswith("met") for v in upload_bombs.run(
            runs=args.runs, name=args.name or "upload_bombs")["verdicts"]) else 1
    elif args.command == "dashboard":
        run_dashboard(runs=args.runs, requests=args.requests, name=args.name or "dashboard")
    elif args.command == "sweep":
        run_sweep(runs=args.runs, sample=args.sample, seed=args.seed, name=args.name or "sweep", workers=args.workers)
    else:
        run_list(runs=args.runs, requests=args.requests, pages=args.pages, name=args.name or "list")
    return 0
