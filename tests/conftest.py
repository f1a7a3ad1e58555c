"""The cast of a clerk's day, and the seed regions every test can rely on.

Areas (real NBS codes from the seed file):
- 杨陵区 610403 (Yangling district): our county.
- 杨陵街道 610403001: our township; 610403001001 is one of its villages.
- 李台街道 610403002: the township next door; 610403002102 (景苑社区) one of its villages.
- 尧都区 141002 (Linfen): another county entirely.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from regions import roles
from regions.models import Region
from regions.services import load_regions_file, staff_assignment_create

from .factories import ElderFactory

SEED = Path(settings.BASE_DIR) / "regions" / "data" / "seed_regions_2020.csv"
TODAY = dt.date(2026, 11, 25)
PASSWORD = "a-long-test-password-42"

COUNTY = "610403000000"
TOWNSHIP = "610403001000"
VILLAGE = "610403001001"
OTHER_VILLAGE_SAME_TOWNSHIP = "610403001003"
NEIGHBOUR_TOWNSHIP = "610403002000"
NEIGHBOUR_VILLAGE = "610403002102"
OTHER_COUNTY = "141002000000"
OTHER_COUNTY_VILLAGE = "141002001001"


def pytest_report_header(config):
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = settings.CELERY_BROKER_URL or "none (tasks run eagerly)"
    return f"yiyang: database={db}, celery broker={broker}"


def ensure_regions() -> None:
    if not Region.objects.filter(code=OTHER_COUNTY_VILLAGE).exists():
        load_regions_file(path=SEED, default_valid_from=dt.date(2020, 10, 31))


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_regions()


@pytest.fixture(autouse=True)
def _let_transactional_tests_flush_the_audit_log(request, django_db_blocker):
    """SQLite enforces the append-only audit table with a DELETE trigger, and Django's flush after a
    transactional test is a DELETE. Raise the purge flag just for that flush, lower it before the
    next test. (PostgreSQL flushes with TRUNCATE, which the row trigger does not see.)"""
    from django.db import connection

    marker = request.node.get_closest_marker("django_db")
    transactional = "live_server" in request.fixturenames or "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if connection.vendor == "sqlite" and (transactional or marker is not None or "db" in request.fixturenames):
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_purge_flag")
    yield
    if transactional and connection.vendor == "sqlite":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("INSERT OR IGNORE INTO audit_purge_flag (id) VALUES (1)")


@pytest.fixture(autouse=True)
def _fresh_id_numbers():
    from .factories import forget_taken_id_numbers

    forget_taken_id_numbers()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 is slow by design; tests create many users. Production hashing is unchanged.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def eager_tasks():
    """Celery tasks run in-process for this test, even with a broker configured; restored after."""
    from .celery_helpers import tasks_eager

    with tasks_eager(True) as app:
        yield app


@pytest.fixture
def queued_tasks():
    """Celery tasks go through the broker for this test (a real worker runs them); restored after."""
    from .celery_helpers import tasks_eager

    with tasks_eager(False) as app:
        yield app


@pytest.fixture
def regions(db):
    ensure_regions()
    return {code: Region.objects.get(code=code) for code in (
        COUNTY, TOWNSHIP, VILLAGE, OTHER_VILLAGE_SAME_TOWNSHIP, NEIGHBOUR_TOWNSHIP, NEIGHBOUR_VILLAGE,
        OTHER_COUNTY, OTHER_COUNTY_VILLAGE,
    )}


def make_staff(username: str, role: str | None, region_code: str | None, **extra):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    if role and region_code:
        staff_assignment_create(
            actor=None, user=user, region=Region.objects.get(code=region_code), role=Group.objects.get(name=role)
        )
    return user


@pytest.fixture
def county_admin(regions):
    return make_staff("county_admin", roles.COUNTY_ADMIN, COUNTY, is_staff=True)


@pytest.fixture
def officer(regions):
    """Our township officer (杨陵街道)."""
    return make_staff("officer", roles.TOWNSHIP_OFFICER, TOWNSHIP)


@pytest.fixture
def neighbour_officer(regions):
    """The officer of the township next door (李台街道)."""
    return make_staff("neighbour", roles.TOWNSHIP_OFFICER, NEIGHBOUR_TOWNSHIP)


@pytest.fixture
def village_worker(regions):
    return make_staff("village_worker", roles.VILLAGE_WORKER, VILLAGE)


@pytest.fixture
def assessor(regions):
    return make_staff("assessor", roles.ASSESSOR, COUNTY)


@pytest.fixture
def finance_reviewer(regions):
    return make_staff("finance", roles.FINANCE_REVIEWER, COUNTY)


@pytest.fixture
def facility_manager(regions):
    return make_staff("facility_manager", roles.FACILITY_MANAGER, COUNTY)


@pytest.fixture
def auditor(regions):
    return make_staff("auditor", roles.AUDITOR, COUNTY)


@pytest.fixture
def unassigned(regions):
    return make_staff("unassigned", None, None)


@pytest.fixture
def superuser(regions):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(username="root", password=PASSWORD)


@pytest.fixture
def elder(regions):
    """An elder in our township's first village."""
    return ElderFactory(region=regions[VILLAGE], name="王秀兰", sex="F", birth_date=dt.date(1946, 12, 3))


@pytest.fixture
def neighbour_elder(regions):
    return ElderFactory(region=regions[NEIGHBOUR_VILLAGE], name="李建国", sex="M", birth_date=dt.date(1950, 1, 1))


@pytest.fixture
def far_elder(regions):
    return ElderFactory(region=regions[OTHER_COUNTY_VILLAGE], name="赵德胜", sex="M", birth_date=dt.date(1940, 6, 1))
