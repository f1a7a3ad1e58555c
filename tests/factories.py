"""factory_boy factories. Elders get valid ID numbers that agree with their birth date and sex."""

from __future__ import annotations

import datetime as dt
import random

import factory

from registry import synthetic
from registry.models import Elder, Household
from regions.models import Region

_rng = random.Random(7)
_taken: set[str] = set()


def village(code: str = "610403001001") -> Region:
    return Region.objects.get(code=code)


def valid_id_number(birth_date: dt.date, sex: str, address_code: str = "610403") -> str:
    return synthetic.make_id_number(_rng, address_code, birth_date, sex, _taken)


def forget_taken_id_numbers() -> None:
    """Each test starts from an empty database, so the numbers earlier tests used are free again. Without
    this a long run exhausts the 500 sequence numbers of a popular (area, birth date, sex)."""
    _taken.clear()


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    household_number = factory.Sequence(lambda n: f"H{n:05d}")
    region = factory.LazyFunction(village)
    region_code = factory.LazyAttribute(lambda o: o.region.code)
    hukou_type = "rural"


class ElderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Elder

    name = factory.Sequence(lambda n: f"测试老人{n}")
    sex = "M"
    birth_date = dt.date(1950, 3, 15)
    id_number = factory.LazyAttribute(lambda o: valid_id_number(o.birth_date, o.sex, o.region.code[:6]))
    region = factory.LazyFunction(village)
    region_code = factory.LazyAttribute(lambda o: o.region.code)
    phone = "13812341234"
    economic_status = "normal"
    living_arrangement = "other"
