"""Loading a published list into the catalogue (``manage.py load_policy yangling|linfen``). Idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from regions.models import Region

from ..models import Benefit, BenefitRule, PolicyParameter
from .data import LISTS
from .data.benefits import BENEFITS


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    names: list[str] = field(default_factory=list)


def _upsert(model, lookup: dict, values: dict, result: LoadResult, *, validate: bool = True):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        if validate:
            obj.full_clean()
        obj.save()
        result.created += 1
        return obj
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if not changed:
        result.unchanged += 1
        return obj
    for k in changed:
        setattr(obj, k, values[k])
    if validate:
        obj.full_clean()
    obj.save()
    result.updated += 1
    return obj


def ensure_benefits(result: LoadResult) -> dict[str, Benefit]:
    out = {}
    for code, (name, service_type, dept, payment, mode) in BENEFITS.items():
        out[code] = _upsert(
            Benefit, {"code": code},
            {"name": name, "service_type": service_type, "lead_department": dept, "payment_kind": payment,
             "enrolment_mode": mode},
            result,
        )
    return out


@transaction.atomic
def load_policy(name: str) -> LoadResult:
    """Create or update the benefits, parameters and rules of a published list. Rules are matched
    on (benefit, jurisdiction, label, effective_from), so rerunning changes nothing; every rule
    passes the same validation as in the admin."""
    try:
        data = LISTS[name]
    except KeyError:
        raise ValueError(f"未知的清单：{name}（可用：{'、'.join(LISTS)}）") from None
    result = LoadResult()
    benefits = ensure_benefits(result)
    home = Region.objects.get(code=data.JURISDICTION)
    for row in data.PARAMETERS:
        key, label, value, note = row[:4]
        place = Region.objects.get(code=row[4]) if len(row) > 4 else home
        _upsert(
            PolicyParameter, {"key": key, "jurisdiction": place, "effective_from": data.EFFECTIVE_FROM},
            {"name": label, "value": Decimal(value), "note": note}, result,
        )
    for spec in data.RULES:
        _upsert(
            BenefitRule,
            {"benefit": benefits[spec["benefit"]], "jurisdiction": home, "label": spec["label"],
             "effective_from": data.EFFECTIVE_FROM},
            {"criteria": spec["criteria"], "amount": Decimal(spec["amount"]), "amount_kind": spec["amount_kind"],
             "parameter_key": spec["parameter_key"], "start": spec["start"], "source": spec["source"]},
            result,
        )
    result.names.append(data.TITLE)
    return result
