"""Excel export of the facility indicators (XlsxWriter), with formula-injection neutralised.

Every text cell goes through the project's one formula neutraliser (imports.reports.neutralise:
= + - @, tab, CR, NUL and the full-width ＝＋－＠): a facility name typed as "=HYPERLINK(…)" must reach
Excel as text.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import xlsxwriter

from imports.reports import neutralise

from .choices import FacilityKind, Ownership

def _write_table(book: Any, name: str, header: list[str], rows: list[list[Any]]) -> None:
    sheet = book.add_worksheet(name)
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    for col, title in enumerate(header):
        sheet.write_string(0, col, title, bold)
        sheet.set_column(col, col, max(10, len(title) * 2 + 2))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            value = neutralise(value)
            if value is None:
                sheet.write_blank(r, c, None)
            elif isinstance(value, str):
                sheet.write_string(r, c, value)  # never write_formula, never auto-detect
            elif isinstance(value, (dt.date,)):
                sheet.write_string(r, c, value.isoformat())
            else:
                sheet.write_number(r, c, value)
    sheet.freeze_panes(1, 0)


def indicators_workbook(data: dict, *, today: dt.date) -> bytes:
    kinds = dict(FacilityKind.choices)
    owners = dict(Ownership.choices)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    levels = ["能力完好", "轻度失能", "中度失能", "重度失能", "完全失能", "未评估"]
    level_keys = [0, 1, 2, 3, 4, None]
    _write_table(
        book, "机构",
        ["机构名称", "区划代码", "类型", "性质", "床位数", "护理型床位", "护理型占比%", f"达标(≥{data['target_percent']}%)",
         "在住", "入住率%", "家庭养老床位", *[f"在住-{x}" for x in levels], "消防审验", "当前评定到期"],
        [
            [f.name, f.region_code, kinds.get(f.kind, f.kind), owners.get(f.ownership, f.ownership), f.beds_total,
             f.beds_nursing, f.nursing_share, {True: "是", False: "否", None: "—"}[f.meets_target], f.beds_occupied,
             f.occupancy, f.beds_home, *[f.residents_by_level.get(k, 0) for k in level_keys],
             "合格" if f.fire_approved else "未通过/未审验", f.rating_expires_on]
            for f in data["facilities"]
        ],
    )
    _write_table(
        book, "乡镇汇总", ["乡镇(街道)", "区划代码", "机构数", "床位数", "护理型床位", "护理型占比%", "在住", "入住率%", "家庭养老床位"],
        [[t["name"], t["township"], t["facilities"], t["total"], t["nursing"], t["nursing_share"], t["occupied"],
          t["occupancy"], t["home"]] for t in data["townships"]],
    )
    total = data["total"]
    _write_table(
        book, "合计", ["指标", "数值"],
        [["统计日期", today.isoformat()], ["床位数", total["total"]], ["护理型床位", total["nursing"]],
         ["护理型床位占比%", total["nursing_share"]], ["公办机构护理型床位占比%", total["public_nursing_share"]],
         ["目标%", data["target_percent"]], ["在住", total["occupied"]], ["入住率%", total["occupancy"]],
         ["家庭养老床位", total["home"]]],
    )
    _write_table(book, "缺消防审验", ["机构名称", "区划代码", "类型"],
                 [[f.name, f.region_code, kinds.get(f.kind, f.kind)] for f in data["no_fire_approval"]])
    _write_table(book, "等级星级到期", ["机构名称", "区划代码", "到期日期", "状态"],
                 [[f.name, f.region_code, f.rating_expires_on, "已过期" if f.rating_status == "expired" else "即将到期"]
                  for f in data["rating_flags"]])
    book.close()
    return buffer.getvalue()
