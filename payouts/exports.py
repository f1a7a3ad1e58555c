"""The bank file (代发文件) and the public-notice list (公示名单), streamed.

Layout is documented in docs/bank-file.md and configurable with ``settings.PAYOUTS_BANK_FILE_COLUMNS``
(a list of the column keys below). Rows come from the database in chunks (``iterator``) and go out
as they come, so a million lines never sit in memory: CSV is a generator of text chunks; .xlsx is
written in constant memory. The layout (columns, totals and checksum rows, the COPY path) is the
bank's and lives here; the cells are written by the project's one spreadsheet writer
(``core.spreadsheets``), whose formula neutraliser every text cell passes. Amounts we format
ourselves (``-100.00``) are ``Verbatim``: never prefixed.

After the data rows: a totals row (合计, number of lines, total amount) and a checksum row (校验码,
SHA-256 over the data rows as written in CSV, UTF-8, LF line ends — the same value for both formats).
On PostgreSQL the CSV data rows come from ``COPY (SELECT …) TO STDOUT`` (the database formats and
quotes them; Python only hashes and forwards the blocks).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings

from core.spreadsheets import Sheet, Verbatim, csv_chunks, neutralise, write_xlsx as write_sheets
from registry.public import mask_id_number
from regions.models import Region

from .models import PayrollLine, PayrollRun

KIND_LABELS = dict(PayrollLine.Kind.choices)
STATUS_LABELS = dict(PayrollLine.Status.choices)
CHUNK = 5000

# key → (header, index into the row tuple of ``_rows``); the row tuple is fixed, the layout is not.
FIELDS = ("id_number", "name", "benefit", "period", "kind", "amount", "bank_name", "bank_account",
          "region_code", "line_id", "benefit_code", "status")
COLUMNS: dict[str, str] = {
    "id_number": "身份证号码",
    "name": "姓名",
    "benefit": "项目",
    "period": "所属期",
    "kind": "类型",
    "amount": "金额",
    "bank_name": "开户银行",
    "bank_account": "银行账号",
    "region_code": "区划代码",
    "line_id": "明细编号",
    "benefit_code": "项目代码",
    "status": "发放状态",
}
DEFAULT_COLUMNS = ["id_number", "name", "benefit", "period", "kind", "amount", "bank_name", "bank_account"]


def bank_columns() -> list[str]:
    cols = list(getattr(settings, "PAYOUTS_BANK_FILE_COLUMNS", DEFAULT_COLUMNS))
    unknown = [c for c in cols if c not in COLUMNS]
    if unknown or "amount" not in cols:
        raise ValueError(f"PAYOUTS_BANK_FILE_COLUMNS 含未知列 {unknown} 或缺少 amount；可用列：{list(COLUMNS)}")
    return cols


def _rows(run: PayrollRun) -> Iterator[tuple]:
    qs = (
        PayrollLine.objects.filter(run=run)
        .order_by("region_code", "id")
        .values_list("elder__id_number", "elder__name", "benefit__name", "period", "kind", "amount", "bank_name",
                     "bank_account", "region_code", "id", "benefit__code", "status")
    )
    for r in qs.iterator(chunk_size=CHUNK):
        yield (r[0], r[1], r[2], f"{r[3]:%Y-%m}", KIND_LABELS.get(r[4], r[4]), r[5], r[6], r[7], r[8], r[9], r[10],
               STATUS_LABELS.get(r[11], r[11]))


def _cells(row: tuple, cols: list[str]) -> list[Any]:
    out: list[Any] = []
    for c in cols:
        v = row[FIELDS.index(c)]
        out.append(Verbatim(f"{v:.2f}") if isinstance(v, Decimal) else neutralise(str(v)))
    return out


def _footer(cols: list[str], count: int, total: Decimal, digest: str) -> list[list[str]]:
    totals = [""] * len(cols)
    totals[0] = "合计"
    amount_at = cols.index("amount")
    count_at = next((i for i in range(1, len(cols)) if i != amount_at), None)
    if count_at is not None:
        totals[count_at] = f"{count}笔"
    totals[amount_at] = Verbatim(f"{total:.2f}")
    check = [""] * len(cols)
    check[0] = "校验码"
    check[1 if len(cols) > 1 else 0] = f"SHA256:{digest}"
    return [totals, check]


class _Line:
    """A csv writer target that keeps only the last line."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text = text


def bank_rows(run: PayrollRun, summary: dict[str, Any] | None = None) -> Iterator[list[Any]]:
    """Header, data rows, totals row and checksum row of the bank file, as lists of cells. When
    ``summary`` is given, it receives ``count``, ``total`` and ``checksum`` once the rows are out."""
    cols = bank_columns()
    target = _Line()
    writer = csv.writer(target, lineterminator="\n")
    digest = hashlib.sha256()
    count, total = 0, Decimal("0.00")
    yield [COLUMNS[c] for c in cols]
    for row in _rows(run):
        cells = _cells(row, cols)
        writer.writerow(cells)
        digest.update(target.text.encode("utf-8"))
        count += 1
        total += row[5]
        yield cells
    if summary is not None:
        summary.update(count=count, total=total, checksum=digest.hexdigest())
    yield from _footer(cols, count, total, digest.hexdigest())


def public_notice_rows(run: PayrollRun) -> Iterator[list[Any]]:
    """公示名单: who receives what, with the ID number masked (610403********1234) and no account."""
    names = dict(Region.objects.in_area(run.county_code[:6]).values_list("code", "name"))
    yield ["序号", "姓名", "身份证号码", "村(社区)", "项目", "所属期", "类型", "金额"]
    for i, row in enumerate(_rows(run), 1):
        yield [i, neutralise(row[1]), mask_id_number(row[0]), neutralise(names.get(row[8], row[8])),
               neutralise(row[2]), row[3], row[4], Verbatim(f"{row[5]:.2f}")]


NOTICE_SHEET = "代发明细"  # the sheet name the notice has always had


def public_notice_sheet(run: PayrollRun) -> Sheet:
    rows = public_notice_rows(run)
    return Sheet(NOTICE_SHEET, next(rows), rows)


NEUTRALISE_RE = "^[-=+@\t\r＝＋－＠]"
_PLAIN = {
    "id_number": "e.id_number",
    "period": "to_char(l.period, 'YYYY-MM')",
    # every type from the model's choices (a new type can never print as another one's label)
    "kind": "CASE l.kind " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in PayrollLine.Kind.choices) + " END",
    "amount": "l.amount::text",
    "region_code": "l.region_code",
    "line_id": "l.id::text",
    "benefit_code": "b.code",
    "status": "CASE l.status WHEN 'pending' THEN '待发放' WHEN 'paid' THEN '已发放' ELSE '发放失败' END",
}
_TEXT = {"name": "e.name", "benefit": "b.name", "bank_name": "l.bank_name", "bank_account": "l.bank_account"}


def _copy_select(cols: list[str]) -> str:
    exprs = []
    for c in cols:
        if c in _TEXT:
            t = _TEXT[c]
            expr = f"CASE WHEN {t} ~ %(re)s THEN chr(39) || {t} ELSE {t} END"  # chr(39): the apostrophe
        else:
            expr = _PLAIN[c]
        exprs.append(f"NULLIF({expr}, '')")  # NULL is written as an unquoted empty field, like Python's csv
    return (
        f"SELECT {', '.join(exprs)} FROM payouts_payrollline l "
        "JOIN eligibility_elder e ON e.id = l.elder_id JOIN eligibility_benefit b ON b.id = l.benefit_id "
        "WHERE l.run_id = %(run)s ORDER BY l.region_code, l.id"
    )


def bank_csv(run: PayrollRun, summary: dict[str, Any] | None = None) -> Iterator[bytes]:
    """The bank file as CSV bytes (BOM, header, data, totals, checksum), streamed. ``summary`` as
    for ``bank_rows``."""
    from django.db import connection
    from django.db.models import Count, Sum

    cols = bank_columns()
    yield "\ufeff".encode()
    yield (",".join(COLUMNS[c] for c in cols) + "\n").encode()
    if connection.vendor != "postgresql":
        rows = bank_rows(run, summary)
        next(rows)  # the header is written above
        for chunk in csv_chunks(None, rows, bom=False):
            yield chunk.encode()
        return
    digest = hashlib.sha256()
    agg = PayrollLine.objects.filter(run=run).aggregate(n=Count("id"), total=Sum("amount"))
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the psycopg cursor: COPY is not in the DB-API
        sql = f"COPY ({_copy_select(cols)}) TO STDOUT WITH (FORMAT csv)"
        with cursor.copy(sql, {"re": NEUTRALISE_RE, "run": run.pk}) as copy:
            for block in copy:
                data = bytes(block)
                digest.update(data)
                yield data
    footer = io.StringIO()
    writer = csv.writer(footer, lineterminator="\n")
    if summary is not None:
        summary.update(count=agg["n"] or 0, total=agg["total"] or Decimal("0.00"), checksum=digest.hexdigest())
    for row in _footer(cols, agg["n"] or 0, agg["total"] or Decimal("0.00"), digest.hexdigest()):
        writer.writerow(row)
    yield footer.getvalue().encode()


def write_bank_file(run: PayrollRun, file_format: str, out: Any) -> dict[str, Any]:
    """Write the bank file of ``run`` to the binary file object ``out`` (opened for reading too:
    it is read back for its SHA-256); returns ``count``, ``total``,
    ``checksum`` (the checksum row's SHA-256 of the data rows), ``size`` and ``sha256`` (of the whole
    file, what a re-send is checked against)."""
    summary: dict[str, Any] = {}
    if file_format == "xlsx":
        write_bank_xlsx(bank_rows(run, summary), out)
    else:
        for chunk in bank_csv(run, summary):
            out.write(chunk)
    out.flush()
    out.seek(0)
    digest, size = hashlib.sha256(), 0
    for block in iter(lambda: out.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
    out.seek(0)
    return {**summary, "size": size, "sha256": digest.hexdigest()}


def write_bank_xlsx(rows: Iterator[list[Any]], out: Any) -> None:
    """The bank file as .xlsx (path or binary file object), in constant memory: one sheet 代发明细, every
    cell text, bold header, nothing frozen (docs/bank-file.md)."""
    header = next(rows)
    write_sheets(out, [Sheet("代发明细", header, rows, widths=[], freeze_header=False, header_style={"bold": True})])


def monthly_report_sheet(data: list[dict[str, Any]]) -> Sheet:
    return Sheet("发放月报", ["所属期", "县(区)", "项目", "类型", "笔数", "金额"],
                 [[d["period"], d["county"], d["benefit"], d["kind"], d["count"], Verbatim(f"{d['total']:.2f}")]
                  for d in data])
