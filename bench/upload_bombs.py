"""Benchmark of refusing hostile uploads: ``python -m bench upload-bombs``.

Each hostile file is refused by the staff portal's reader (``imports.reading.read_table``, what the
upload check and the worker run) and by the admin import (django-import-export through
``imports.admin_import``: the import form and the engine's dataset reader), each attempt in a forked
child so that its time and peak memory are its own. Targets (issue 14): **refused in < 1 s, with
< 100 MB of memory growth**, every time with a Chinese message naming the limit.

The files (written by ``build_*`` below, also used by the regression tests in tests/imports):

- ``xfd2000``: one cell at XFD2000 (1.6 KB) — 32.8 million cells for calamine; the dimension lies (A1:A1);
- ``xfd200000``: one cell at XFD200000 (1.7 KB) — 3.3 billion cells, ≈ 100 GB: the reader aborted;
- ``zip_bomb``: a sheet of 1 GB of blanks, deflated to ≈ 1 MB;
- ``oversized``: a 100 MB upload (over IMPORT_MAX_FILE_MB).

Memory: ``peak_rss_growth_kib`` is the child's peak resident memory minus its resident memory before
the attempt (Linux ru_maxrss); ``tracemalloc_peak_kib`` the Python allocations' peak.
The figures need no database (SQLite in memory); writes bench/results/upload_bombs.json.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="{target}"/></Relationships>'
)
HEADER = ("身份证号码", "姓名", "户号", "村(社区)")


def sheet_xml(cells: str, dimension: str | None = "A1:A1") -> str:
    """A worksheet part around ``cells`` (the <sheetData> content), with the given <dimension> (a lie
    by default: hostile files write any) or none."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"{dim}<sheetData>{cells}</sheetData></worksheet>")


def header_row() -> str:
    return '<row r="1">' + "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{label}</t></is></c>' for i, label in enumerate(HEADER)) + "</row>"


def build_xlsx(path: Path, sheet: str | bytes, *, target: str = "worksheets/sheet1.xml",
               member: str = "xl/worksheets/sheet1.xml") -> Path:
    """A minimal workbook whose first sheet is ``sheet`` (the whole worksheet part)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(target=target))
        archive.writestr(member, sheet)
    return path


def build_far_cell(path: Path, reference: str, *, dimension: str | None = "A1:A1") -> Path:
    """The header and one cell at ``reference`` (e.g. XFD200000), under a lying dimension."""
    row = int("".join(ch for ch in reference if ch.isdigit()))
    cells = header_row() + f'<row r="{row}"><c r="{reference}" t="inlineStr"><is><t>x</t></is></c></row>'
    return build_xlsx(path, sheet_xml(cells, dimension))


def build_zip_bomb(path: Path, *, megabytes: int = 1024) -> Path:
    """A sheet of ``megabytes`` MB of blanks after the header, deflated at level 9 (≈ 1,000×)."""
    head, tail = sheet_xml(header_row() + "§", None).encode().split("§".encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(target="worksheets/sheet1.xml"))
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            member.write(head)
            blank = b" " * (1 << 20)
            for _ in range(megabytes):
                member.write(blank)
            member.write(tail)
    return path


def build_lying_zip(path: Path, *, megabytes: int = 64) -> Path:
    """A zip bomb whose headers understate the sheet's size (declared 1 KB, real ``megabytes`` MB):
    a reader that trusts the declared sizes inflates it all."""
    import struct

    build_zip_bomb(path, megabytes=megabytes)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(name.decode()).header_offset
    central = data.rfind(b"PK\x01\x02" + bytes(4))  # placeholder, found below by name
    for offset in range(data.rfind(b"PK\x05\x06"), 0, -1):
        if data[offset:offset + 4] == b"PK\x01\x02" and data[offset + 46:offset + 46 + len(name)] == name:
            central = offset
            break
    for at in (local + 22, central + 24):  # the uncompressed size, in the local and the central header
        data[at:at + 4] = struct.pack("<I", 1024)
    path.write_bytes(bytes(data))
    return path


def build_oversized(path: Path, *, megabytes: int = 100) -> Path:
    """``megabytes`` MB that start like a zip (the size alone must refuse it)."""
    with open(path, "wb") as fh:
        fh.write(b"PK\x03\x04")
        block = os.urandom(1 << 20)
        for _ in range(megabytes):
            fh.write(block)
    return path


def _rss_kib() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _child(target, args, queue) -> None:
    import resource
    import tracemalloc

    try:
        before = _rss_kib()
        tracemalloc.start()
        started = time.perf_counter()
        message = target(*args)
        seconds = time.perf_counter() - started
        traced = tracemalloc.get_traced_memory()[1] // 1024
        tracemalloc.stop()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        queue.put((seconds, max(0, peak - before), traced, message, None))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        queue.put((0.0, 0, 0, "", f"{type(exc).__name__}: {exc}"))


def in_child(target, *args) -> tuple[float, int, int, str]:
    """(seconds, peak RSS growth KiB, tracemalloc peak KiB, refusal message) of target(*args) in a fork."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(target, args, queue))
    process.start()
    seconds, growth, traced, message, error = queue.get()
    process.join()
    if error:
        raise RuntimeError(error)
    return seconds, growth, traced, message


def refuse_in_portal(path: str) -> str:
    """The portal's reader: the upload check and the worker's read (imports.reading.read_table)."""
    from registry.importers import ROLL_COLUMNS
    from imports.reading import FileRejected, read_table

    try:
        read_table(Path(path), Path(path).name, ROLL_COLUMNS)
    except FileRejected as exc:
        return str(exc)
    raise AssertionError(f"{path} was not refused")


def refuse_in_admin(path: str) -> str:
    """The admin import: the import form's size check, then the engine's dataset reader (what
    import_action does with the upload), as django-import-export calls them."""
    from django.core.files.uploadedfile import TemporaryUploadedFile
    from import_export.forms import ImportForm

    from registry.resources import ElderResource
    from imports.admin_import import EngineCSV, EngineXLSX, FileRejected, _size_checked

    size = os.path.getsize(path)
    upload = TemporaryUploadedFile(Path(path).name, "application/octet-stream", size, None)
    upload.file.close()
    upload.file = open(path, "rb")  # noqa: SIM115 - closed below
    try:
        form = _size_checked(ImportForm)([EngineXLSX, EngineCSV], [ElderResource],
                                         data={"format": "0", "resource": "0"}, files={"import_file": upload})
        if not form.is_valid():
            return "; ".join(form.errors.get("import_file", [])) or str(form.errors)
        try:
            EngineXLSX().create_dataset(b"".join(upload.chunks()))
        except FileRejected as exc:
            return str(exc)
    finally:
        upload.file.close()
    raise AssertionError(f"{path} was not refused")


BUILDERS = {
    "xfd2000": ("one cell at XFD2000, dimension A1:A1", lambda p: build_far_cell(p, "XFD2000")),
    "xfd200000": ("one cell at XFD200000, dimension A1:A1", lambda p: build_far_cell(p, "XFD200000")),
    "zip_bomb": ("1 GB of blanks deflated", lambda p: build_zip_bomb(p)),
    "lying_zip": ("64 MB sheet declared as 1 KB", lambda p: build_lying_zip(p)),
    "oversized": ("100 MB upload", lambda p: build_oversized(p)),
}


def run(*, runs: int = 3, name: str = "upload_bombs", results_dir: Path | None = None,
        only: list[str] | None = None) -> dict:
    from . import report

    workdir = Path(tempfile.mkdtemp(prefix="bench-bombs-"))
    measurements: list[report.Measurement] = []
    verdicts: list[str] = []
    try:
        for key, (label, build) in BUILDERS.items():
            if only and key not in only:
                continue
            path = workdir / f"{key}.xlsx"
            build(path)
            size = path.stat().st_size
            for where, target in (("portal", refuse_in_portal), ("admin", refuse_in_admin)):
                samples, growths, traced, message = [], [], [], ""
                for _ in range(runs):
                    seconds, growth, peak, message = in_child(target, str(path))
                    samples.append(seconds * 1000)
                    growths.append(growth)
                    traced.append(peak)
                ok = max(samples) < 1000 and max(growths) < 100 * 1024
                verdicts.append(f"{key}/{where}: {'met' if ok else 'MISSED'}")
                measurements.append(report.Measurement(
                    benchmark=f"{where}: {label} ({size / 1024:,.1f} KB)", samples_ms=samples,
                    peak_memory_kib=max(growths),
                    details={"file": key, "path": where, "bytes": size, "message": message,
                             "tracemalloc_peak_kib": max(traced), "peak_rss_growth_kib": max(growths),
                             "target_met": ok}))
                print(f"  {key} / {where}: {max(samples):.0f} ms, +{max(growths) / 1024:.1f} MiB RSS — {message}",
                      flush=True)
            path.unlink()
    finally:
        for leftover in workdir.iterdir():
            leftover.unlink()
        workdir.rmdir()
    print()
    print(report.format_table(measurements))
    print("\npeak mem KiB = the child's peak RSS growth while refusing; targets: < 1 s and < 100 MB each")
    print("; ".join(verdicts))
    written = report.write_json(name, {"machine": report.machine_info(), "runs": runs,
                                       "measurements": [m.as_dict() for m in measurements]}, results_dir)
    print(f"written {written}")
    return {"measurements": measurements, "path": written, "verdicts": verdicts}


def main(argv: list[str] | None = None) -> int:
    import django

    parser = argparse.ArgumentParser(prog="python -m bench upload-bombs", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--name", default="upload_bombs")
    parser.add_argument("--only", nargs="*", choices=list(BUILDERS), help="only these files")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")
    django.setup()
    outcome = run(runs=args.runs, name=args.name, only=args.only)
    return 0 if all(v.endswith("met") for v in outcome["verdicts"]) else 1


if __name__ == "__main__":
    sys.exit(main())
