"""Working tables of one county's sweep: temporary tables, created and dropped inside its transaction.

``managed = False``: no migration creates them; ``eligibility.policy.sweep.decision_table`` does,
per connection, so two counties swept at once in two workers never see each other's rows.
"""

from __future__ import annotations

from django.db import models

from core.fields import RegionCodeField
from core.scoping import ScopedQuerySet


class SweepDecision(models.Model):
    """What the catalogue decides for one elder and one benefit in the month swept: the rule that
    applies, its amount and the reason sentence. Elders who qualify for nothing have no row.

    ``elder`` stands in as the primary key for the ORM (``pk=OuterRef("elder_id")``); rows are unique
    per (elder, benefit), and every query filters one benefit."""

    elder = models.OneToOneField(
        "registry.Elder", primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    benefit_id = models.BigIntegerField()
    rule_id = models.BigIntegerField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.TextField()
    region_code = RegionCodeField()
    updated_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()  # never in a view; scoped like every table with a region_code

    class Meta:
        managed = False
        db_table = "sweep_decision"
