"""The reading half of tests/imports/test_upload_bombs.py, run in a fresh interpreter ("spawn"), not a
fork: a forked copy of the test process would inherit whatever threads earlier tests left running
(a Celery worker thread, a live server, a browser driver) and can deadlock on a lock one of them held.
Nothing here is imported at module level, so the child starts Django itself before it reads."""

from __future__ import annotations


def read_in_child(path: str, queue) -> None:
    import resource
    import time
    from pathlib import Path

    import django

    django.setup()
    from imports.reading import FileRejected, read_table
    from registry.importers import ROLL_COLUMNS

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        read_table(Path(path), "bomb.xlsx", ROLL_COLUMNS)
        message = ""
    except FileRejected as exc:
        message = str(exc)
    queue.put((time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, message))
