"""Objects for the authorization matrix (tests/test_authorization_matrix.py, kinds "facility",
"bed", "admission", "waitlist_application"): one inside our township, one in another county.
The facility_manager persona is granted (guardian) view and change on the own one only — a
manager's access comes from the grant, not from the area."""

from __future__ import annotations

import datetime as dt

from guardian.shortcuts import assign_perm

from facilities.models import Admission, WaitlistApplication
from tests.conftest import OTHER_COUNTY_VILLAGE, VILLAGE
from tests.factories import BedFactory, ElderFactory, FacilityFactory


def grant(user, facility, *perms: str) -> None:
    for perm in perms or ("view_facility", "change_facility"):
        assign_perm(f"facilities.{perm}", user, facility)


def _pair(request, kind: str, code: str, name: str):
    regions = request.getfixturevalue("regions")
    facility = FacilityFactory(region=regions[code], name=name)
    if kind == "facility":
        return facility
    bed = BedFactory(facility=facility, code=f"{name}-B1")
    if kind == "bed":
        return bed
    elder = ElderFactory(region=regions[code])
    if kind == "admission":
        bed.status = "occupied"
        bed.save()
        return Admission.objects.create(elder=elder, bed=bed, facility=facility, admitted_on=dt.date(2026, 1, 5))
    if kind == "waitlist_application":
        return WaitlistApplication.objects.create(facility=facility, elder=elder, applied_on=dt.date(2026, 2, 1))
    raise AssertionError(kind)


def matrix_objects(request, kind: str):
    own = _pair(request, kind, VILLAGE, "本乡镇敬老院")
    other = _pair(request, kind, OTHER_COUNTY_VILLAGE, "外县养老院")
    facility = own if kind == "facility" else own.facility
    grant(request.getfixturevalue("facility_manager"), facility)
    return own, other
