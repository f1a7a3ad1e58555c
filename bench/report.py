"""Timings, the printed table and the JSON file of a benchmark run.

Importable without Django settings; ``machine_info`` asks the database connection only when called.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import statistics
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Measurement:
    """One line of the table: repeated samples of one benchmark, in milliseconds."""

    benchmark: str
    samples_ms: list[float] = field(default_factory=list)
    rows_per_second: float | None = None
    peak_memory_kib: int | None = None
    run_medians_ms: list[float] = field(default_factory=list)  # one per --runs round: shows the noise
    details: dict = field(default_factory=dict)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms) if self.samples_ms else 0.0

    @property
    def min_ms(self) -> float:
        return min(self.samples_ms) if self.samples_ms else 0.0

    @property
    def max_ms(self) -> float:
        return max(self.samples_ms) if self.samples_ms else 0.0

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(median_ms=self.median_ms, min_ms=self.min_ms, max_ms=self.max_ms)
        return data


def process_peak_rss_kib() -> int:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def machine_info() -> dict:
    """What a reader needs to compare two result files: machine, versions, database."""
    import django
    from django.db import connection

    info = {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "database_vendor": connection.vendor,
        "database_name": str(connection.settings_dict.get("NAME")),
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["database_version"] = cursor.fetchone()[0]
    return info


def _format_ms(value: float) -> str:
    return f"{value:,.1f}"


def format_table(measurements: list[Measurement]) -> str:
    headers = ("benchmark", "median ms", "min ms", "max ms", "rows/s", "peak mem KiB")
    rows = [
        (
            m.benchmark,
            _format_ms(m.median_ms),
            _format_ms(m.min_ms),
            _format_ms(m.max_ms),
            f"{m.rows_per_second:,.0f}" if m.rows_per_second else "",
            f"{m.peak_memory_kib:,}" if m.peak_memory_kib is not None else "",
        )
        for m in measurements
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


def write_json(name: str, payload: dict, results_dir: Path | None = None) -> Path:
    """Write ``<results_dir>/<name>.json`` (bench/results by default, ignored by git)."""
    directory = Path(results_dir) if results_dir is not None else RESULTS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    document = {"name": name, "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **payload}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return path
