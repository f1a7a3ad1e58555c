"""户 (households): 户号 within a village of the uploader's area — the admin's household import.

Not offered in the staff portal (households arrive with the roll there); the admin's import of the
Household list goes through it (imports/admin_import.py). A blank cell never clears a stored value;
an existing household's changed columns are written under a row lock, compare-and-set as the roll's
elders are (a column changed by someone else since validation is not overwritten: the row is an error).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from imports import bulk
from imports.registry import Column, Context, Plan, RowError

from ..choices import HukouType
from ..models import Household
from .parsing import _MISSING, BATCH, RowParser, _history_user
from .roll import ROLL_COLUMNS, _existing_households
from .villages import Villages
from .vocabulary import HUKOU


def _roll_column(key: str) -> Column:
    return next(c for c in ROLL_COLUMNS if c.key == key)


HOUSEHOLD_COLUMNS = (
    _roll_column("household_number"),
    _roll_column("village"),
    _roll_column("hukou_type"),
    _roll_column("address"),
    Column("head_name", "户主姓名", False, ("户主",), "", 10),
)
HOUSEHOLD_PERMISSIONS = ("registry.add_household", "registry.change_household")
CONFLICT_REASON = "导入期间该户的「{fields}」已被他人修改，本行未覆盖；请核对后重新导入这一行"
FIELDS = ("hukou_type", "address", "head_name")


def validate_households(ctx: Context) -> Plan:
    table = ctx.table
    parser = RowParser(table, timezone.localdate())
    villages = Villages(ctx.user)
    if table.has("village"):
        index_of = table.columns["village"]
        villages.prepare({cells[index_of] if index_of < len(cells) else "" for _, cells in table.rows})
    plan = Plan()
    found: dict[tuple[int, str], tuple[int, dict]] = {}
    codes: dict[int, str] = {}
    for row, rec in table.records():
        errors: list[RowError] = []
        number = parser.text(row, rec, "household_number", errors, code_like=True)
        if number is None and not errors:
            parser.error(errors, row, "household_number", "", "请填写户号")
        village = parser.village(row, rec, villages, errors)
        values: dict[str, Any] = {}
        hukou = parser.choice(row, rec, "hukou_type", errors)
        if hukou is not _MISSING:
            values["hukou_type"] = hukou
        for key in ("address", "head_name"):
            text = parser.text(row, rec, key, errors)
            if text is not None:
                values[key] = text
        if errors or village is None or number is None:
            plan.errors.extend(errors)
            continue
        key = (village[0], number)
        codes[village[0]] = village[1]
        if key in found:
            first, earlier = found[key]
            if earlier != values:
                plan.errors.append(RowError(row, table.labels["household_number"], number,
                                            f"户号在文件中重复（另见第 {first} 行），且内容不一致"))
            else:  # an identical copy of an earlier row
                plan.unchanged += 1
                if ctx.keep_rows:
                    plan.outcomes[row] = "skip"
            continue
        found[key] = (row, values)
    stored_ids = _existing_households(set(found))
    stored = {(h["region_id"], h["household_number"]): h for h in Household.objects.filter(
        pk__in=stored_ids.values()).values("id", "region_id", "household_number", *FIELDS)}
    creates, updates = [], []
    for (region_id, number), (row, values) in found.items():
        current = stored.get((region_id, number))
        if current is None:
            plan.new += 1
            creates.append({"region_id": region_id, "region_code": codes[region_id],
                            "household_number": number, "hukou_type": values.get("hukou_type", HukouType.RURAL),
                            "address": values.get("address", ""), "head_name": values.get("head_name", "")})
            outcome = "new"
        else:
            changed = {k: v for k, v in values.items() if current[k] != v}
            outcome = "update" if changed else "skip"
            if changed:
                plan.updated += 1
                updates.append((current["id"], changed, {k: current[k] for k in changed}, row))
                plan.changes.append({"row": row, "who": f"户号 {number}", "fields": [
                    [table.labels.get(k, k), HUKOU.label(current[k]) if k == "hukou_type" else current[k],
                     HUKOU.label(v) if k == "hukou_type" else v] for k, v in changed.items()]})
            else:
                plan.unchanged += 1
        if ctx.keep_rows:
            plan.outcomes[row] = outcome
    plan.payload = {"creates": creates, "updates": updates}
    return plan


def commit_households(ctx: Context, plan: Plan) -> dict:
    """New households by COPY / bulk_create with a history row each; changed ones compare-and-set
    under a row lock (pk order), bulk_update and a history row each."""
    now = timezone.now()
    user = _history_user(ctx)
    creates = [{**values, "created_at": now, "updated_at": now} for values in plan.payload["creates"]]
    for start in range(0, len(creates), BATCH):
        chunk = creates[start:start + BATCH]
        for row, pk in zip(chunk, bulk.insert_rows(Household, chunk), strict=True):
            row["id"] = pk
        bulk.insert_rows(Household.history.model, bulk.history_rows(Household, chunk, user_id=getattr(user, "pk", None),
                                                                    date=now), ids=False)
    updates = {pk: (changed, prior, row) for pk, changed, prior, row in plan.payload["updates"]}
    written = []
    for household in Household.objects.select_for_update().filter(pk__in=updates).order_by("pk"):
        changed, prior, row = updates[household.pk]
        clashed = [k for k, v in changed.items() if getattr(household, k) not in (v, prior[k])]
        if clashed:
            plan.updated -= 1
            fields = "、".join(ctx.table.labels.get(k, k) for k in clashed)
            plan.errors.append(RowError(row, ctx.table.labels["household_number"], "",
                                        CONFLICT_REASON.format(fields=fields)))
            continue
        for name, value in changed.items():
            setattr(household, name, value)
        household.updated_at = now
        written.append(household)
    if plan.errors and ctx.strict:
        from imports.services import FileRefused

        raise FileRefused("严格模式：导入期间有户的数据已被他人修改，未导入任何数据；请重新导入", errors=plan.errors)
    Household.objects.bulk_update(written, [*FIELDS, "updated_at"], batch_size=BATCH)
    Household.history.bulk_history_create(written, batch_size=BATCH, update=True, default_user=user, default_date=now)
    return {"new": len(creates), "updated": len(written)}

