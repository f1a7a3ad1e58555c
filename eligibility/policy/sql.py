"""``INSERT INTO … SELECT`` from an ORM queryset: the set-based insert the ORM has no verb for.

The SELECT is the queryset's own SQL (so every filter is the compiler's ``Q``); only the column
list is written here. Works on PostgreSQL and SQLite.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet


def insert_from_select(model, columns: dict[str, object], queryset: QuerySet, *, skip_conflicts: bool = False) -> int:
    """Insert one row of ``model`` per row of ``queryset``; ``columns`` maps each target column to an
    expression over the queryset's model. Returns the number of rows inserted. ``skip_conflicts``
    (PostgreSQL): rows that would break a unique constraint are left out (``ON CONFLICT DO NOTHING``)."""
    names = list(columns)
    aliases = [f"_c{i}" for i in range(len(names))]
    qs = queryset.annotate(**dict(zip(aliases, columns.values(), strict=True))).values_list(*aliases)
    select_sql, params = qs.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in names)
    with connection.cursor() as cursor:
        tail = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
        cursor.execute(f"INSERT INTO {table} ({cols}) {select_sql}{tail}", params)
        return max(cursor.rowcount, 0)
