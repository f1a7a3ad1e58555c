"""Read queries over import batches shared by the batch list and the home page (工作台)."""

from __future__ import annotations

from django.db.models import Q

from .models import ImportBatch

S = ImportBatch.Status

# The batch list's status filter (?status=): every status, plus the batches that need the uploader.
ERRORS = "errors"
STATUS_FILTERS: dict[str, str] = {ERRORS: "有错误待处理", **dict(S.choices)}


def with_errors_q() -> Q:
    """Batches that need the uploader: failed, or validated with error rows and not yet confirmed
    (待确认 with an error workbook). The home page's 批量导入有错误 counts exactly these."""
    return Q(status=S.FAILED) | (Q(status=S.READY) & ~Q(error_report=""))
