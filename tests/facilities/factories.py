"""Factories of the facilities app (kept beside its tests; tests/factories.py belongs to the registry)."""

from __future__ import annotations

import datetime as dt

import factory

from facilities.models import Bed, Facility, Rating
from tests.factories import village


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    name = factory.Sequence(lambda n: f"测试养老院{n}")
    kind = "institution"
    ownership = "public"
    region = factory.LazyFunction(village)
    region_code = factory.LazyAttribute(lambda o: o.region.code)
    fire_approved = True
    fire_approved_on = dt.date(2024, 5, 1)
    filed = True


class BedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bed

    facility = factory.SubFactory(FacilityFactory)
    region_code = factory.LazyAttribute(lambda o: o.facility.region_code)
    code = factory.Sequence(lambda n: f"T-{n:05d}")
    room = "101"
    kind = "nursing"


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    facility = factory.SubFactory(FacilityFactory)
    scheme = "grade"
    level = 3
    rated_on = dt.date(2024, 6, 1)
    expires_on = dt.date(2027, 6, 1)
    rating_body = "咸阳市民政局"
