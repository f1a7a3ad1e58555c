"""``INSERT INTO … SELECT`` from an ORM queryset: the framework's one helper (``core.sql``), under
the name the sweep uses."""

from __future__ import annotations

from core.sql import insert_from_select

__all__ = ["insert_from_select"]
