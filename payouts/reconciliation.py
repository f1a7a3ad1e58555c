"""Reading the bank's return file (回盘文件) and matching it to a run's lines.

Read here with csv / python-calamine (no formulas evaluated, size limited). To be registered as an
importer kind of the import engine (imports/) once that is finished; the matching stays here.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from eligibility.rules import mask_id_number

from .models import PayrollLine, PayrollRun

MAX_BYTES = 200 * 1024 * 1024
HEADERS = {
    "id_number": ("身份证号码", "身份证号", "证件号码", "id_number"),
    "account": ("银行账号", "账号", "卡号", "bank_account"),
    "amount": ("金额", "发放金额", "amount"),
    "status": ("状态", "发放状态", "处理结果", "status"),
    "reason": ("原因", "失败原因", "备注", "reason"),
    "benefit": ("项目",),
    "period": ("所属期",),
    "kind": ("类型",),
}
OK_WORDS = {"成功", "已发放", "已入账", "paid", "success", "ok", "0"}
FAIL_WORDS = {"失败", "退票", "发放失败", "failed", "fail", "1"}
KIND_BY_LABEL = {label: key for key, label in PayrollLine.Kind.choices}


def _table(data: bytes, name: str) -> list[list[str]]:
    if len(data) > MAX_BYTES:
        raise ValidationError("回盘文件过大")
    if name.lower().endswith((".xlsx", ".xls", ".xlsm", ".ods")):
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as exc:  # a damaged or mislabelled workbook
            raise ValidationError(f"无法读取Excel文件：{exc}") from exc
        return [[_text(v) for v in row] for row in rows]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    return [row for row in csv.reader(io.StringIO(text))]


def _text(value: Any) -> str:
    if isinstance(value, float):  # calamine gives numbers as floats; long digit strings as integers
        return str(int(value)) if value.is_integer() and abs(value) >= 1e6 else repr(value)
    return "" if value is None else str(value).strip()


def read_return_file(data: bytes, name: str) -> list[dict[str, Any]]:
    """Rows of a return file as dicts (``row`` = the row number a person sees in the file).
    A totals row (合计) becomes ``{"totals": True, "amount": …}``; a 校验码 row is skipped."""
    table = [r for r in _table(data, name) if any(c.strip() for c in r)]
    if not table:
        raise ValidationError("回盘文件是空的")
    header = [h.strip() for h in table[0]]
    where: dict[str, int] = {}
    for key, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names:
                where[key] = i
                break
    if "id_number" not in where and "account" not in where:
        raise ValidationError("回盘文件缺少“身份证号码”或“银行账号”列")
    for key in ("amount", "status"):
        if key not in where:
            raise ValidationError(f"回盘文件缺少“{HEADERS[key][0]}”列")
    out: list[dict[str, Any]] = []
    for number, raw in enumerate(table[1:], 2):
        cells = [c.strip() for c in raw] + [""] * len(header)
        row = {key: cells[i] for key, i in where.items()}
        row["row"] = number
        first = cells[0]
        if first.startswith("校验码"):
            continue
        if first.startswith("合计") or row.get("id_number", "").startswith("合计") or row.get("account", "").startswith("合计"):
            row["totals"] = True
            found = re.search(r"(\d+)\s*笔", " ".join(cells))
            row["count"] = int(found.group(1)) if found else None
        out.append(row)
    return out


def _amount(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "").replace("元", "")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def match_rows(run: PayrollRun, rows: list[dict[str, Any]]) -> tuple[list[tuple[int, bool, str]], list[str]]:
    """Match every row to exactly one line of the run. Returns ((line id, paid?, reason) per row,
    problems). Any problem means the file must not be applied."""
    lines = run.lines.values_list("pk", "elder__id_number", "bank_account", "benefit__name", "period", "kind", "amount")
    by_id: dict[str, list[tuple]] = defaultdict(list)
    by_account: dict[str, list[tuple]] = defaultdict(list)
    for line in lines.iterator(chunk_size=5000):
        by_id[line[1].upper()].append(line)
        if line[2]:
            by_account[line[2]].append(line)
    problems: list[str] = []
    matched: list[tuple[int, bool, str]] = []
    used: dict[int, int] = {}
    total = Decimal("0.00")
    totals_row = None
    data_rows = 0
    for row in rows:
        n = row["row"]
        if row.get("totals"):
            totals_row = row
            continue
        data_rows += 1
        amount = _amount(row.get("amount", ""))
        if amount is None:
            problems.append(f"第{n}行：金额“{row.get('amount', '')}”无法识别")
            continue
        total += amount
        status = row.get("status", "").lower()
        if status not in OK_WORDS and status not in FAIL_WORDS:
            problems.append(f"第{n}行：状态“{row.get('status', '')}”无法识别（应为 成功/失败）")
            continue
        ident = row.get("id_number", "").upper()
        candidates = by_id.get(ident, []) if ident else by_account.get(row.get("account", ""), [])
        who = mask_id_number(ident) if ident else f"账号{row.get('account', '')}"
        if row.get("benefit"):
            candidates = [c for c in candidates if c[3] == row["benefit"]]
        if row.get("period"):
            candidates = [c for c in candidates if f"{c[4]:%Y-%m}" == row["period"][:7]]
        if row.get("kind"):
            candidates = [c for c in candidates if c[5] == KIND_BY_LABEL.get(row["kind"], row["kind"])]
        if not candidates:
            problems.append(f"第{n}行：{who} 不在本批次中")
            continue
        same = [c for c in candidates if c[6] == amount]
        if not same:
            problems.append(f"第{n}行：{who} 金额不符（文件{amount}，批次{'、'.join(str(c[6]) for c in candidates)}）")
            continue
        free = [c for c in same if c[0] not in used]
        if not free:
            problems.append(f"第{n}行：{who} 与第{used[same[0][0]]}行重复")
            continue
        line = free[0]
        used[line[0]] = n
        ok = status in OK_WORDS
        matched.append((line[0], ok, "" if ok else (row.get("reason") or "银行退回")))
    if totals_row is not None:
        expected = _amount(totals_row.get("amount", ""))
        if expected is not None and expected != total:
            problems.append(f"合计行金额{expected}与明细合计{total}不符")
        if totals_row.get("count") is not None and totals_row["count"] != data_rows:
            problems.append(f"合计行笔数{totals_row['count']}与明细笔数不符")
    return matched, problems
