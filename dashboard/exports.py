"""The statistics tables as formatted .xlsx (bold header row, column widths, frozen header), written by
the project's one spreadsheet writer (``core.spreadsheets``: every text cell formula-neutralised).

One builder per table; each builder takes the same Scope as the page, so the export always equals what
the page shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core import spreadsheets

from . import indicators
from .selectors import statistics

Sheet = tuple[str, list[str], list[list[Any]]]


def sheets_of(sheets: list[Sheet]) -> list[spreadsheets.Sheet]:
    """[(sheet name, header, rows)] → the writer's sheets (widths fitted, header frozen)."""
    return [spreadsheets.Sheet(name, header, rows) for name, header, rows in sheets]


def workbook(sheets: list[Sheet]) -> bytes:
    """[(sheet name, header, rows)] → .xlsx bytes."""
    return spreadsheets.xlsx_bytes(sheets_of(sheets))


def _elders(scope: statistics.Scope) -> tuple[str, list[Sheet]]:
    stats = statistics.elder_statistics(scope)
    pyramid = [[r["label"], r["m"], r["f"], r["n"]] for r in stats["pyramid"].rows]
    sheets: list[Sheet] = [("年龄性别", ["年龄段", "男(人)", "女(人)", "合计(人)"], pyramid)]
    for key in ("economic", "ability", "living"):
        b = stats[key]
        sheets.append((b.title, [b.title, "人数(人)", "占比(%)"],
                       [[r["label"], r["n"], statistics.share(r["n"], b.total)] for r in b.rows]))
    return "老年人概况", sheets


def _areas(scope: statistics.Scope) -> tuple[str, list[Sheet]]:
    table = statistics.area_table(scope)
    groups = table["groups"]
    header = ["区划代码", statistics.child_level_label(scope), "在世老年人(人)", "80周岁及以上(人)", *[f"{g[1]}(人)" for g in groups]]
    rows = [[r["code"], r["name"], r["total"], r["aged_80"], *[r[g[0]] for g in groups]] for r in table["rows"]]
    t = table["totals"]
    rows.append(["", "合计", t["total"], t["aged_80"], *[t[g[0]] for g in groups]])
    return "分区域特殊困难老年人", [("分区域", header, rows)]


def _enrolments(scope: statistics.Scope) -> tuple[str, list[Sheet]]:
    data = statistics.enrolment_series(scope)
    counts = [[s["name"], *s["counts"]] for s in data["series"]]
    amounts = [[s["name"], *s["amounts"]] for s in data["series"] if s["monthly_cash"]]
    return "享受人数与金额", [
        ("享受人数", ["服务项目", *[f"{m}(人)" for m in data["labels"]]], counts),
        ("月发放金额", ["服务项目", *[f"{m}(元)" for m in data["labels"]]], amounts),
    ]


def _visits(scope: statistics.Scope) -> tuple[str, list[Sheet]]:
    data = statistics.visit_rate_series(scope)
    rows = [[m, n, v, r] for m, n, v, r in zip(data["labels"], data["in_scope"], data["visited"], data["rates"], strict=True)]
    return "月探访率", [("月探访率", ["月份", "应探访人数(人)", "已探访人数(人)", "月探访率(%)"], rows)]


def _beds(scope: statistics.Scope) -> tuple[str, list[Sheet]]:
    data = statistics.bed_statistics(scope)
    header = ["区划代码", statistics.child_level_label(scope), "机构数(个)", "床位数(张)", "护理型床位(张)",
              "护理型占比(%)", "在住(张)", "入住率(%)", "家庭养老床位(张)"]
    rows = [[r["code"], r["name"], r["facilities"], r["total"], r["nursing"], r["nursing_share"], r["occupied"],
             r["occupancy"], r["home"]] for r in data["rows"]]
    t = data["totals"]
    rows.append(["", "合计", t["facilities"], t["total"], t["nursing"], t["nursing_share"], t["occupied"],
                 t["occupancy"], t["home"]])
    return "养老床位", [("养老床位", header, rows)]


def _indicators(scope: statistics.Scope) -> tuple[str, list[Sheet]]:
    rows = []
    for r in indicators.indicator_rows(scope):
        rows.append([r.label, r.value if r.applicable else "不适用", r.unit,
                     float(r.target) if r.target is not None else None, r.target_where,
                     r.gap, {True: "达标", False: "未达标", None: "—"}[r.met], r.numerator, r.denominator,
                     r.note, r.target_source])
    header = ["指标", "当前值", "单位", "目标值", "目标制定区域", "差距", "是否达标", "分子", "分母", "口径说明", "政策依据"]
    return "指标与目标", [("指标与目标", header, rows)]


TABLES: dict[str, Callable[[statistics.Scope], tuple[str, list[Sheet]]]] = {
    "elders": _elders,
    "areas": _areas,
    "enrolments": _enrolments,
    "visits": _visits,
    "beds": _beds,
    "indicators": _indicators,
}

# The model permission each table needs besides dashboard.view_statistics.
TABLE_PERMS = {
    "elders": "registry.view_elder",
    "areas": "registry.view_elder",
    "enrolments": "eligibility.view_enrolment",
    "visits": "visits.view_visit",
    "beds": "facilities.use_facilities",
    "indicators": "dashboard.view_statistics",
}


def allowed(user: Any, name: str) -> bool:
    return user.has_perm(TABLE_PERMS[name])
