"""Chart specifications: aggregated figures → the small JSON that static/js/dashboard_charts.js draws
with ECharts. Pure functions (no ORM), so the page, the tests and the export share one shape."""

from __future__ import annotations

from typing import Any


def pyramid(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Men to the left (negative), women to the right; oldest band on top."""
    rows = [r for r in rows if r["key"] != "u60" or r["n"]]
    return {
        "type": "pyramid",
        "labels": [r["label"] for r in rows],
        "male": [r["m"] for r in rows],
        "female": [r["f"] for r in rows],
        "unit": "人",
    }


def bars(rows: list[dict[str, Any]], *, unit: str = "人", horizontal: bool = False) -> dict[str, Any]:
    return {
        "type": "bar",
        "labels": [r["label"] for r in rows],
        "values": [r["n"] for r in rows],
        "unit": unit,
        "horizontal": horizontal,
    }


def pie(rows: list[dict[str, Any]], *, unit: str = "人") -> dict[str, Any]:
    return {"type": "pie", "labels": [r["label"] for r in rows], "values": [r["n"] for r in rows], "unit": unit}


def lines(labels: list[str], series: list[tuple[str, list[Any]]], *, unit: str, max_value: float | None = None,
          kind: str = "line") -> dict[str, Any]:
    return {
        "type": kind,
        "labels": labels,
        "series": [{"name": name, "values": values} for name, values in series],
        "unit": unit,
        "max": max_value,
    }


def stacked(labels: list[str], series: list[tuple[str, list[Any]]], *, unit: str) -> dict[str, Any]:
    return {"type": "stacked", "labels": labels, "series": [{"name": n, "values": v} for n, v in series], "unit": unit}
