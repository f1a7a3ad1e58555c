"""Excel export of the facility indicators, written by the project's one spreadsheet writer
(``core.spreadsheets``): every text cell is formula-neutralised (= + - @, tab, CR, NUL and the
full-width ＝＋－＠), so a facility name typed as "=HYPERLINK(…)" reaches Excel as text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.spreadsheets import Sheet, neutralise

from .choices import FacilityKind, Ownership

__all__ = ["indicators_sheets", "neutralise"]


def _table(name: str, header: list[str], rows: list[list[Any]]) -> Sheet:
    return Sheet(name, header, rows, widths=[max(10, len(title) * 2 + 2) for title in header])


def indicators_sheets(data: dict, *, today: dt.date) -> list[Sheet]:
    kinds = dict(FacilityKind.choices)
    owners = dict(Ownership.choices)
    levels = ["能力完好", "轻度失能", "中度失能", "重度失能", "完全失能", "未评估"]
    level_keys = [0, 1, 2, 3, 4, None]
    total = data["total"]
    return [
        _table(
            "机构",
            ["机构名称", "区划代码", "类型", "性质", "床位数", "护理型床位", "护理型占比%", f"达标(≥{data['target_percent']}%)",
             "在住", "入住率%", "家庭养老床位", *[f"在住-{x}" for x in levels], "消防审验", "当前评定到期"],
            [
                [f.name, f.region_code, kinds.get(f.kind, f.kind), owners.get(f.ownership, f.ownership), f.beds_total,
                 f.beds_nursing, f.nursing_share, {True: "是", False: "否", None: "—"}[f.meets_target], f.beds_occupied,
                 f.occupancy, f.beds_home, *[f.residents_by_level.get(k, 0) for k in level_keys],
                 "合格" if f.fire_approved else "未通过/未审验", f.rating_expires_on]
                for f in data["facilities"]
            ],
        ),
        _table(
            "乡镇汇总", ["乡镇(街道)", "区划代码", "机构数", "床位数", "护理型床位", "护理型占比%", "在住", "入住率%", "家庭养老床位"],
            [[t["name"], t["township"], t["facilities"], t["total"], t["nursing"], t["nursing_share"], t["occupied"],
              t["occupancy"], t["home"]] for t in data["townships"]],
        ),
        _table(
            "合计", ["指标", "数值"],
            [["统计日期", today.isoformat()], ["床位数", total["total"]], ["护理型床位", total["nursing"]],
             ["护理型床位占比%", total["nursing_share"]], ["公办机构护理型床位占比%", total["public_nursing_share"]],
             ["目标%", data["target_percent"]], ["在住", total["occupied"]], ["入住率%", total["occupancy"]],
             ["家庭养老床位", total["home"]]],
        ),
        _table("缺消防审验", ["机构名称", "区划代码", "类型"],
               [[f.name, f.region_code, kinds.get(f.kind, f.kind)] for f in data["no_fire_approval"]]),
        _table("等级星级到期", ["机构名称", "区划代码", "到期日期", "状态"],
               [[f.name, f.region_code, f.rating_expires_on, "已过期" if f.rating_status == "expired" else "即将到期"]
                for f in data["rating_flags"]]),
    ]
