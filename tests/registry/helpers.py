"""Shared helpers for the elder-registry page tests: valid ID numbers and complete form posts."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from registry.models import Elder
from registry.rules import check_char

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def make_id(birth: dt.date, sequence: int, address: str = "610403") -> str:
    first17 = f"{address}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


def make_id_ending_in_x(birth: dt.date, address: str = "610403") -> str:
    return next(n for n in (make_id(birth, s, address) for s in range(1, 999, 2)) if n.endswith("X"))


NEW_BIRTH = dt.date(1944, 7, 8)
NEW_ID = make_id(NEW_BIRTH, 123)  # odd sequence: a man


def create_url() -> str:
    return reverse("eligibility:elder_create")


def list_url() -> str:
    return reverse("eligibility:elder_list")


def form_data(region, **overrides) -> dict:
    data = {
        "id_number": NEW_ID,
        "name": "张福全",
        "sex": "",
        "birth_date": "",
        "phone": "13912345678",
        "region": region.pk,
        "household_number": "",
        "relation_to_head": "",
        "address": "杨陵街道新村12号",
        "local_hukou": "on",
        "hukou_type": "rural",
        "economic_status": "normal",
        "living_arrangement": "alone",
        "disability_category": "",
        "disability_grade": "",
        "special_family": "",
        "veteran_category": "",
        "care_setting": "home",
        "deceased_on": "",
        "moved_out_on": "",
        "bank_name": "",
        "bank_account": "",
        "note": "",
    }
    data.update(overrides)
    return data


def edit_data(elder: Elder, **overrides) -> dict:
    data = form_data(
        elder.region,
        id_number=elder.id_number,
        name=elder.name,
        sex=elder.sex,
        birth_date=f"{elder.birth_date:%Y-%m-%d}",
        phone=elder.phone,
        address=elder.address,
        hukou_type=elder.hukou_type,
        economic_status=elder.economic_status,
        living_arrangement=elder.living_arrangement,
        care_setting=elder.care_setting,
        household_number=elder.household.household_number if elder.household_id else "",
    )
    data.update(overrides)
    return data
