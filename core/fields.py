"""The 12-character division code column shared by every scoped table."""

from django.db import models


class RegionCodeField(models.CharField):
    """CharField(12) that uses the "C" collation on PostgreSQL.

    With byte-wise collation one plain b-tree index serves both the scoping filter
    (``region_code LIKE '610403%'``) and ``ORDER BY region_code, …``; with a linguistic collation
    PostgreSQL needs a separate pattern_ops index for LIKE and still cannot use it for ordering.
    Division codes are digits only, so nothing is lost.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 12)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
