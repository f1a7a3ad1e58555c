"""Facilities: institutions and centres, ratings, beds (一人一床一码), admissions and the public waitlist."""

from .beds import Admission, Bed
from .facility import Facility, Rating
from .waitlist import PriorityRule, WaitlistApplication

__all__ = ["Admission", "Bed", "Facility", "PriorityRule", "Rating", "WaitlistApplication"]
