"""Readable change history (who, when, field: old → new) from django-simple-history records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models

from . import rules

MASKED_FIELDS = {"id_number": rules.mask_id_number, "bank_account": rules.mask_bank_account}
BIRTH_DATE_FIELDS = {"birth_date"}
HIDDEN_FIELDS = {"region_code", "created_at", "updated_at"}
TYPE_LABELS = {"+": "新建", "~": "修改", "-": "删除"}


@dataclass
class HistoryEntry:
    at: Any
    user: str
    kind: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)


def _display(model_field: models.Field, value: Any, related_cache: dict, *, full_id: bool = False) -> str:
    if value in (None, ""):
        return "（空）"
    if model_field.name in BIRTH_DATE_FIELDS and not full_id:
        return "****-**-**"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.BooleanField):
        return "是" if value else "否"
    if isinstance(model_field, models.ForeignKey):
        key = (model_field.related_model, value)
        if key not in related_cache:
            obj = model_field.related_model._default_manager.filter(pk=value).first()
            related_cache[key] = str(obj) if obj else str(value)
        return related_cache[key]
    masker = MASKED_FIELDS.get(model_field.name)
    if masker:
        return masker(str(value))
    return str(value)


def history_entries(obj: Any, limit: int = 50, *, full_id: bool = False) -> list[HistoryEntry]:
    """Newest first. The first record of an object is shown as 新建 without a field list.

    Without ``full_id`` (the viewer's registry.view_full_id_number) a birth date is masked too: with
    the masked ID next to it, it would give the number away."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    entries: list[HistoryEntry] = []
    related_cache: dict = {}
    model = type(obj)
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        entry = HistoryEntry(
            at=record.history_date,
            user=record.history_user.get_full_name() or record.history_user.username if record.history_user else "系统",
            kind=TYPE_LABELS.get(record.history_type, record.history_type),
        )
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                if change.field in HIDDEN_FIELDS:
                    continue
                model_field = model._meta.get_field(change.field)
                entry.changes.append(
                    (
                        str(model_field.verbose_name),
                        _display(model_field, change.old, related_cache, full_id=full_id),
                        _display(model_field, change.new, related_cache, full_id=full_id),
                    )
                )
        entries.append(entry)
    return entries
