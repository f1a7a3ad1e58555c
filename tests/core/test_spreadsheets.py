"""The project's one spreadsheet writer (core.spreadsheets): what a clerk who opens an export sees."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import tracemalloc
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse
from openpyxl import load_workbook

from core import spreadsheets
from core.spreadsheets import Sheet, Verbatim


def _book(content: bytes):
    return load_workbook(io.BytesIO(content))


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_formula_in_an_xlsx_cell_reaches_excel_as_text():
    content = spreadsheets.xlsx_bytes([Sheet("名单", ["姓名", "金额"], [["=1+1", 5], ["＋1", None], ["王秀兰", Decimal("1.5")]])])
    sheet = _book(content).active
    values = list(sheet.values)
    assert values[1] == ("'=1+1", 5) and values[2][0] == "'＋1" and values[3] == ("王秀兰", 1.5)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_a_formula_in_a_csv_cell_is_neutralised_and_the_file_opens_as_utf8_with_bom():
    text = "".join(spreadsheets.csv_chunks(["姓名", "备注"], [["=1+1", "@SUM(A1)"], ["王秀兰", None]]))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [["姓名", "备注"], ["'=1+1", "'@SUM(A1)"], ["王秀兰", ""]]


def test_an_amount_the_code_formatted_is_not_prefixed_but_user_text_is():
    rows = [[Verbatim("-100.00"), "-100.00"]]
    assert list(csv.reader(io.StringIO("".join(spreadsheets.csv_chunks(None, rows, bom=False))))) == [["-100.00", "'-100.00"]]
    sheet = _book(spreadsheets.xlsx_bytes([Sheet("s", ["a", "b"], rows)])).active
    assert list(sheet.values)[1] == ("-100.00", "'-100.00")


def test_the_header_row_is_frozen_and_columns_are_fitted_to_chinese_text():
    long = "特殊困难老年人" * 3
    sheet = _book(spreadsheets.xlsx_bytes([Sheet("表", ["区划代码", "名称"], [["610403", long]])])).active
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 2 * len(long)  # a CJK character is two columns wide
    unfrozen = _book(spreadsheets.xlsx_bytes([Sheet("表", ["a"], [], freeze_header=False, widths=[30])])).active
    assert unfrozen.freeze_panes is None and unfrozen.column_dimensions["A"].width >= 30


def test_dates_are_iso_text_unless_a_date_format_is_asked_for():
    day = dt.date(2026, 12, 3)
    book = _book(spreadsheets.xlsx_bytes([
        Sheet("文本", ["日期", "是否"], [[day, True]]),
        Sheet("日期", ["日期"], [[day]], date_format="yyyy-mm-dd"),
    ]))
    assert list(book["文本"].values)[1] == ("2026-12-03", "是")
    cell = book["日期"]["A2"]
    assert cell.value == dt.datetime(2026, 12, 3) and cell.number_format == "yyyy-mm-dd"


def test_sheet_names_excel_refuses_are_made_acceptable():
    book = _book(spreadsheets.xlsx_bytes([Sheet("'a/b:c" + "长" * 40, ["x"], [])]))
    assert book.sheetnames == [("a、b、c" + "长" * 40)[:31]]


def test_a_chinese_file_name_reaches_the_browser():
    response = spreadsheets.xlsx_response([Sheet("表", ["a"], [[1]])], "补贴发放月报.xlsx")
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''" + quote("补贴发放月报.xlsx")
    assert response["Content-Type"] == spreadsheets.XLSX_CONTENT_TYPE
    assert list(_book(_body(response)).active.values) == [("a",), (1,)]
    csv_response = spreadsheets.csv_response(["姓名"], [["王秀兰"]], "公示名单.csv")
    assert csv_response["Content-Disposition"].endswith(quote("公示名单.csv"))
    assert _body(csv_response).decode("utf-8-sig") == "姓名\n王秀兰\n"


def test_big_exports_stream():
    streamed = spreadsheets.xlsx_response([Sheet("表", ["a"], [[1]])], "名单.xlsx", streaming=True)
    assert isinstance(streamed, FileResponse) and quote("名单.xlsx") in streamed["Content-Disposition"]
    assert list(_book(_body(streamed)).active.values) == [("a",), (1,)]
    rows = spreadsheets.csv_response(["a"], ([i] for i in range(12_000)), "名单.csv", streaming=True)
    assert isinstance(rows, StreamingHttpResponse)
    chunks = list(rows.streaming_content)
    assert len(chunks) > 2 and b"".join(chunks).decode("utf-8-sig").count("\n") == 12_001


def test_writing_many_rows_keeps_memory_flat():
    def rows(n):
        return ([i, f"第{i}行", "王秀兰", Verbatim("100.00")] for i in range(n))

    def peak(n):
        tracemalloc.start()
        try:
            spreadsheets.write_xlsx(io.BytesIO(), [Sheet("表", ["序号", "说明", "姓名", "金额"], rows(n))])
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(40_000)
    # The rows go to a temporary file as they are written: twenty times the rows, not twenty times the memory
    # (the finished file is zipped into the BytesIO, which is a few hundred KB here).
    assert large < small + 4 * 1024 * 1024


def test_the_writer_imports_no_project_app():
    source = Path(settings.BASE_DIR, "core", "spreadsheets.py").read_text()
    apps = {p.name for p in Path(settings.BASE_DIR).iterdir() if (p / "apps.py").exists()} - {"core"}
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
    assert apps and not imported & apps
