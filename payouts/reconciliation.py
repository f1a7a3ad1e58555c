"""The bank's return file (回盘文件) as an importer kind of the import engine (``imports/``).

Upload → the engine reads the whole file (size limits, no formulas, header found by name) → this
module's ``validate`` matches every row to one line of an exported run, without writing → preview and
error workbook → the clerk confirms → ``commit`` re-validates inside the engine's transaction and
marks the matched lines paid or failed, set-based, with one event per changed line
(``PayrollLineEvent``) → a run with no pending line left becomes 已对账.

Which runs a file is matched against: the run it was uploaded from (``ReturnFile``, the run page's
upload), else every exported run of the uploader's counties (the generic 批量导入 page).

Problems are reported per row, in Chinese (Excel row number and reason), and never applied. Some
refuse the whole file, in every mode, because the file itself is wrong (issue 8, "Bad input"): a row
whose ID, account or line number is not in the run(s), a row that repeats an earlier row's line, a
totals row (合计) whose amount or count disagrees with the rows. ``validate`` then raises the engine's
``FileRefused``: the batch fails with a message naming those rows, the engine keeps its counts,
preview errors and error workbook, and nothing is changed. The others — an amount that differs from
the line's, an unreadable amount or status, a row with neither ID nor account — concern their row
only: in the default mode the other rows are applied; in strict mode (严格) any problem means nothing
is applied.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from audit.services import record
from core.scoping import code_in_area
from registry.public import mask_id_number
from imports.reading import FileRejected
from imports.registry import Column, Context, ImporterKind, Plan, RowError, register
from imports.services import FileRefused
from imports.values import cell_text, compact

from . import rules
from .line_events import record_line_events
from .models import PayrollLine, PayrollRun, ReturnFile
from .transitions import transition

KIND_KEY = "bank_return"
OK_WORDS = {"成功", "已发放", "已入账", "paid", "success", "ok", "0"}
FAIL_WORDS = {"失败", "退票", "发放失败", "failed", "fail", "1"}
KIND_BY_LABEL = {label: key for key, label in PayrollLine.Kind.choices}
CHUNK = 5000
MESSAGE_ROWS = 20  # problem rows named in a refusal's message; the error workbook has them all

COLUMNS = (
    Column("id_number", "身份证号码", False, ("身份证号", "证件号码", "公民身份号码", "id_number"),
           "18位身份证号码；与“银行账号”至少填一列", 22),
    Column("account", "银行账号", False, ("账号", "卡号", "银行卡号", "bank_account"), "没有身份证号码列时按账号匹配", 24),
    Column("amount", "金额", True, ("发放金额", "金额（元）", "amount"), "元，两位小数；必须与发放明细一致", 12),
    Column("status", "状态", True, ("发放状态", "处理结果", "status"), "成功 / 已发放 / 已入账，或 失败 / 退票", 10),
    Column("reason", "原因", False, ("失败原因", "备注", "reason"), "失败原因（记入发放明细）", 20),
    Column("benefit", "项目", False, (), "一人有多个项目时用于区分", 16),
    Column("period", "所属期", False, (), "YYYY-MM；一人有多个月份（补发）时用于区分", 10),
    Column("kind", "类型", False, (), "正常 / 补发 / 追回 / 一次性", 8),
    Column("line_id", "明细编号", False, (), "代发文件中的明细编号（若导出了该列，最可靠）", 12),
)
LABELS = {c.key: c.label for c in COLUMNS}


@dataclass(frozen=True)
class Match:
    """A row of the file matched to one line: what the bank says happened to it."""

    line_id: int
    run_id: int
    paid: bool
    reason: str


def amount_of(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "").replace("元", "").strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def candidate_runs(ctx: Context) -> list[PayrollRun]:
    """The runs this file is matched against (see the module docstring). Raises FileRejected when
    there is none, so the batch fails with the reason instead of reporting every row."""
    link = ReturnFile.objects.select_related("run").filter(batch=ctx.batch).first() if ctx.batch is not None else None
    if link is not None:
        if link.run.status != rules.EXPORTED:
            raise FileRejected(f"只有已导出的批次可以对账（{link.run}当前为“{link.run.get_status_display()}”），未作任何修改")
        return [link.run]
    runs = [r for r in PayrollRun.objects.visible_to(ctx.user).filter(status=rules.EXPORTED).select_related("county")
            if code_in_area(ctx.user, r.county_code)]
    if not runs:
        raise FileRejected("您管辖的县(区)没有已导出、待对账的发放批次，未作任何修改")
    return runs


def _lines_by_key(runs: list[PayrollRun]) -> tuple[dict[str, list[tuple]], dict[str, list[tuple]], dict[int, tuple]]:
    lines = PayrollLine.objects.filter(run__in=runs).values_list(
        "pk", "run_id", "elder__id_number", "bank_account", "benefit__name", "period", "kind", "amount", "status",
        "failure_reason",
    )
    by_id: dict[str, list[tuple]] = defaultdict(list)
    by_account: dict[str, list[tuple]] = defaultdict(list)
    by_pk: dict[int, tuple] = {}
    for line in lines.iterator(chunk_size=CHUNK):
        by_id[line[2].upper()].append(line)
        if line[3]:
            by_account[line[3]].append(line)
        by_pk[line[0]] = line
    return by_id, by_account, by_pk


def validate(ctx: Context) -> Plan:
    """Match every row to exactly one line; nothing is written. ``updated`` counts rows that change
    a line's status, ``unchanged`` rows the line already has (a file imported twice changes nothing).
    A row not in the run(s), a row repeating an earlier one, or a totals row that does not add up
    refuses the whole file (``refusal``)."""
    table = ctx.table
    if not table.has("id_number") and not table.has("account") and not table.has("line_id"):
        raise FileRejected("回盘文件缺少“身份证号码”或“银行账号”列，未作任何修改")
    runs = candidate_runs(ctx)
    by_id, by_account, by_pk = _lines_by_key(runs)
    where = "本批次" if len(runs) == 1 else "待对账批次的"
    plan = Plan()
    matches: list[Match] = []
    refusals: list[RowError] = []  # problems that refuse the whole file, in every mode
    used: dict[int, int] = {}
    total, data_rows, totals_row = Decimal("0.00"), 0, None
    rows = list(table.records())
    for index, (n, raw) in enumerate(rows):
        if index % 2000 == 0:
            ctx.progress(index / max(1, len(rows)))
        row = {k: cell_text(v) for k, v in raw.items()}
        first = cell_text(table.rows[index][1][0]) if table.rows[index][1] else ""
        if first.startswith("校验码"):
            continue
        if any(v.startswith("合计") for v in (first, row.get("id_number", ""), row.get("account", ""))):
            totals_row = (n, row, raw)
            continue
        data_rows += 1

        def error(key: str, reason: str, *, whole_file: bool = False, _n: int = n, _row: dict = row) -> None:
            problem = RowError(_n, LABELS[key], _row.get(key, ""), reason)
            plan.errors.append(problem)
            if whole_file:
                refusals.append(problem)

        amount = amount_of(row.get("amount", ""))
        if amount is None:
            error("amount", f"第{n}行：金额“{row.get('amount', '')}”无法识别")
        else:
            total += amount
        status = row.get("status", "").strip().lower()
        readable = status in OK_WORDS or status in FAIL_WORDS
        if not readable:
            error("status", f"第{n}行：状态“{row.get('status', '')}”无法识别（应为 成功 或 失败）")
        ident = compact(row.get("id_number", "")).upper()
        account = compact(row.get("account", ""))
        line_key = compact(row.get("line_id", ""))
        if line_key:
            found = by_pk.get(int(line_key)) if line_key.isdigit() else None
            candidates = [found] if found else []
            who = what = f"明细编号{line_key}"
            key = "line_id"
        elif ident:
            who = mask_id_number(ident)
            candidates, what, key = list(by_id.get(ident, [])), f"身份证号码{who}", "id_number"
        elif account:
            who = f"账号{rules.mask_account(account)}"
            candidates, what, key = list(by_account.get(account, [])), f"银行账号{rules.mask_account(account)}", "account"
        else:
            error("id_number", f"第{n}行：身份证号码和银行账号都是空的")
            continue
        narrowed = []
        if row.get("benefit"):
            candidates = [c for c in candidates if c[4] == row["benefit"]]
            narrowed.append(f"项目“{row['benefit']}”")
        if row.get("period"):
            candidates = [c for c in candidates if f"{c[5]:%Y-%m}" == row["period"][:7]]
            narrowed.append(f"所属期{row['period'][:7]}")
        if row.get("kind"):
            candidates = [c for c in candidates if c[6] == KIND_BY_LABEL.get(row["kind"], row["kind"])]
            narrowed.append(f"类型{row['kind']}")
        if not candidates:
            detail = f"（{'、'.join(narrowed)}）" if narrowed else ""
            error(key, f"第{n}行：{what}{detail} 不在{where}发放名单中", whole_file=True)
            continue
        if amount is None or not readable:
            continue
        same = [c for c in candidates if c[7] == amount]
        # A row for a line an earlier row already reported is a duplicate, whatever its amount.
        free = [c for c in (same or candidates) if c[0] not in used]
        if not free:
            error(key, f"第{n}行与第{used[(same or candidates)[0][0]]}行重复（{what}）", whole_file=True)
            continue
        if not same:
            error("amount", f"第{n}行：{what} 金额不符（文件{amount}元，发放明细{'、'.join(str(c[7]) for c in candidates)}元）")
            continue
        line = free[0]
        used[line[0]] = n
        paid = status in OK_WORDS
        reason = "" if paid else (row.get("reason") or "银行退回")[:200]
        target = PayrollLine.Status.PAID if paid else PayrollLine.Status.FAILED
        if line[8] == target and line[9] == reason:
            plan.unchanged += 1
        else:
            plan.updated += 1
            matches.append(Match(line[0], line[1], paid, reason))
            if len(plan.changes) < 50:
                plan.changes.append({"row": n, "who": who, "fields": [
                    ["发放状态", PayrollLine.Status(line[8]).label, target.label],
                    *([["失败原因", line[9] or "（空）", reason]] if reason else []),
                ]})
    if totals_row is not None:
        # A totals row that disagrees with the rows means the file itself is wrong (cut short, edited).
        n, row, _ = totals_row
        expected = amount_of(row.get("amount", ""))
        if expected is not None and expected != total:
            problem = RowError(n, LABELS["amount"], row.get("amount", ""),
                               f"第{n}行（合计行）：合计金额{expected}元与明细合计{total}元不符")
            plan.errors.append(problem)
            refusals.append(problem)
        counted = re.search(r"(\d+)\s*笔", " ".join(row.values()))
        if counted and int(counted.group(1)) != data_rows:
            problem = RowError(n, "合计", counted.group(0), f"第{n}行（合计行）：合计笔数{counted.group(1)}与明细{data_rows}笔不符")
            plan.errors.append(problem)
            refusals.append(problem)
    if refusals:
        raise refusal(plan, refusals)
    plan.payload = {"matches": matches, "runs": [r.pk for r in runs]}
    ctx.progress(1.0)
    return plan


def refusal(plan: Plan, refusals: list[RowError]) -> FileRefused:
    """The whole file refused, in every mode (issue 8, "Bad input": unknown lines, duplicate lines, wrong
    totals): a message naming the refusing rows (and how many others have problems). The engine fails
    the batch with it, applies nothing, and keeps what it keeps for a checked file — counts, the
    preview's problem rows and the error workbook, from ``plan.errors`` (every problem row, the others
    included) — so the clerk sees each problem on the batch page and can fix the file and upload it again."""
    shown = "；".join(e.reason for e in refusals[:MESSAGE_ROWS])
    more = f"……共{len(refusals)}处，见错误清单" if len(refusals) > MESSAGE_ROWS else ""
    others = len({e.row for e in plan.errors} - {e.row for e in refusals})
    also = f"（另有{others}行其他问题，见错误清单）" if others else ""
    message = f"回盘文件未导入，未作任何修改：{shown}{more}{also}。请改正后重新上传整个文件"
    return FileRefused(message, errors=plan.errors)


def commit(ctx: Context, plan: Plan) -> dict:
    """Apply the matched rows (inside the engine's transaction): per (status, reason) one INSERT …
    SELECT of the line events and one UPDATE per chunk of ids; then every run with no pending line
    left moves 已导出 → 已对账, recorded with the uploader."""
    matches: list[Match] = plan.payload["matches"]
    # Row locks in id order (two commits over overlapping runs never deadlock); the state is checked
    # on the locked rows. A generation never holds these: it locks only its own draft.
    runs = {r.pk: r for r in PayrollRun.objects.select_for_update().filter(pk__in=plan.payload["runs"]).order_by("pk")}
    for run in runs.values():
        if run.status != rules.EXPORTED:
            raise FileRejected(f"{run}已不是“已导出”状态（当前为“{run.get_status_display()}”），未作任何修改")
    actor = ctx.user if getattr(ctx.user, "is_authenticated", False) else None
    source = f"回盘文件 {ctx.batch.filename}（导入批次 {ctx.batch.pk}）"[:120] if ctx.batch is not None else "回盘文件"
    groups: dict[tuple[bool, str], list[int]] = defaultdict(list)
    for m in matches:
        groups[(m.paid, m.reason)].append(m.line_id)
    now = timezone.now()
    paid = failed = 0
    for (ok, reason), ids in groups.items():
        target = PayrollLine.Status.PAID if ok else PayrollLine.Status.FAILED
        for i in range(0, len(ids), CHUNK):
            chunk = PayrollLine.objects.filter(pk__in=ids[i:i + CHUNK])
            record_line_events(chunk, kind=target, to_status=target, reason=reason, source=source, user=actor, at=now)
            n = chunk.update(status=target, failure_reason=reason)
            paid, failed = (paid + n, failed) if ok else (paid, failed + n)
    per_run: dict[str, dict[str, int]] = {}
    for run in runs.values():
        pending = run.lines.filter(status=PayrollLine.Status.PENDING).count()
        mine = [m for m in matches if m.run_id == run.pk]
        summary = {"paid": sum(m.paid for m in mine), "failed": sum(not m.paid for m in mine), "pending": pending}
        per_run[str(run.pk)] = summary
        record(actor=ctx.user, event="payouts.reconcile", obj=run, region_code=run.county_code,
               detail={**summary, "batch": getattr(ctx.batch, "pk", None)})
        if pending == 0:
            transition(run, rules.RECONCILED, ctx.user,
                       f"回盘对账：成功{summary['paid']}笔，失败{summary['failed']}笔（导入批次{getattr(ctx.batch, 'pk', '')}）")
    return {"paid": paid, "failed": failed, "runs": per_run}


# Needs the reconcile permission (财务审核) on top of the import engine's upload permission.
KIND = ImporterKind(
    KIND_KEY, "银行回盘（发放结果）", COLUMNS, validate, commit, ("payouts.reconcile_payrollrun",),
    "银行退回的代发结果：按身份证号码（或银行账号、明细编号）匹配已导出批次的发放明细，标记为已发放或发放失败；"
    "有不在批次中的行、重复的行，或合计行与明细不符，则整个文件不导入；金额不符等问题行只报告、不导入",
    "银行回盘文件模板",
)


def register_importers() -> None:
    register(KIND)
