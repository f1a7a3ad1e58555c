"""``INSERT INTO … SELECT`` from an ORM queryset: the set-based insert the ORM has no verb for.

The SELECT is the queryset's own SQL (so every filter stays the caller's ``Q``); only the column
list is written here. Works on PostgreSQL and SQLite (≥ 3.24 for ``ON CONFLICT``).
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models
from django.db.models import QuerySet


def insert_from_select(model: type[models.Model], columns: dict[str, Any], queryset: QuerySet, *,
                       skip_conflicts: bool = False) -> int:
    """Insert one row of ``model`` per row of ``queryset``; ``columns`` maps each target field to an
    expression over the queryset's model. Returns the number of rows inserted.

    ``skip_conflicts``: a row that would break a unique constraint is left out, not an error
    (``ON CONFLICT DO NOTHING``) — the constraint is the guarantee, this is how a caller respects
    it. On SQLite the SELECT is then wrapped in a derived table with a ``WHERE``, which keeps its
    parser from reading ``ON CONFLICT`` as a join condition. PostgreSQL gets the SELECT as it is:
    wrapped, an untyped parameter (a timestamp, a date) would leave the derived table as text and
    no longer take the target column's type.
    The queryset's ordering is dropped: an INSERT has no use for it."""
    names = list(columns)
    aliases = [f"_c{i}" for i in range(len(names))]
    qs = queryset.annotate(**dict(zip(aliases, columns.values(), strict=True))).values_list(*aliases).order_by()
    select_sql, params = qs.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in names)
    if skip_conflicts and connection.vendor == "postgresql":
        sql = f"INSERT INTO {table} ({cols}) {select_sql} ON CONFLICT DO NOTHING"
    elif skip_conflicts:
        sql = f"INSERT INTO {table} ({cols}) SELECT * FROM ({select_sql}) AS _src WHERE 1=1 ON CONFLICT DO NOTHING"
    else:
        sql = f"INSERT INTO {table} ({cols}) {select_sql}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)
