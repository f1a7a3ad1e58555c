"""Fill the elder registry with synthetic elders at county-to-province scale, fast and reproducibly.

The people come from ``registry.synthetic.generate`` (pure, seeded); this module only decides
where they live and how the rows reach the database:

- Villages get an uneven, seeded weight (Zipf over townships, log-normal jitter over villages), so a
  few townships are large — the township officer's list has to stay fast where it is longest.
- On PostgreSQL rows go in with ``COPY … FREEZE`` in one transaction that first empties the tables
  (TRUNCATE), drops the non-unique secondary indexes and rebuilds them after the load: building a
  b-tree once from sorted input is several times cheaper than a million incremental inserts.
  Everything is transactional DDL, so a failed load leaves the schema as it was.
- On SQLite (only the tiny smoke test) rows go in with ``bulk_create`` in batches.

History tables (django-simple-history) are not filled: no benchmark reads them.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max
from django.db.models.functions import Substr

from registry import synthetic
from registry.models import Elder, Household
from regions.models import Region
from regions.services import load_regions_file

SEED_FILE = Path(settings.BASE_DIR) / "regions" / "data" / "seed_regions_2020.csv"
SEED_VALID_FROM = dt.date(2020, 10, 31)

# Ages are computed against a fixed day so that the same seed gives the same rows on any day.
REFERENCE_DATE = dt.date(2026, 11, 25)
CREATED_AT = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)

# Marks the rows this generator wrote (Elder.note), so a rerun knows it may delete them.
BENCH_NOTE = "bench:synthetic"

# Zipf exponent over townships: with 563 townships, 0.7 gives the largest ≈ 5 % of all elders
# (≈ 50,000 at N = 1M, so "page 200" exists even with a 12 % age-band filter) and a long tail.
TOWNSHIP_ZIPF_EXPONENT = 0.7
VILLAGE_JITTER_SIGMA = 0.5
ORM_BATCH_SIZE = 1000

# The values the generator decides, by attribute name; every other column gets its model default,
# so a field added to the model later (blank string, null date…) does not break the COPY.
HOUSEHOLD_VALUES = (
    "id", "household_number", "region_id", "region_code", "address", "hukou_type", "head_name",
    "created_at", "updated_at",
)
ELDER_VALUES = (
    "id_number", "name", "sex", "birth_date", "phone", "household_id", "relation_to_head", "region_id",
    "region_code", "address", "local_hukou", "hukou_type", "economic_status", "living_arrangement",
    "disability_category", "disability_grade", "special_family", "veteran_category", "ability_level",
    "care_setting", "deceased_on", "bank_name", "bank_account", "note", "created_at", "updated_at",
)


class RowLayout:
    """The columns one table's rows are written with: the generated values, then model defaults."""

    def __init__(self, model, given: tuple[str, ...]):
        fields = {f.attname: f for f in model._meta.concrete_fields}
        unknown = set(given) - set(fields)
        if unknown:
            raise ValueError(f"{model.__name__} has no field(s) {sorted(unknown)}")
        rest = [f for name, f in fields.items() if name not in given and not f.primary_key]
        self.attnames = given + tuple(f.attname for f in rest)
        self.columns = tuple(fields[name].column for name in given) + tuple(f.column for f in rest)
        self.defaults = tuple(f.get_default() for f in rest)

    def complete(self, values: tuple) -> tuple:
        return values + self.defaults

    def instance(self, model, row: tuple):
        return model(**dict(zip(self.attnames, row)))


class GenerateRefused(RuntimeError):
    """The database holds elders this generator did not write; emptying it needs --reset."""


@dataclass(frozen=True)
class Village:
    id: int
    code: str
    address_prefix: str  # "<township><village>", the start of every household address


@dataclass
class GenerateResult:
    elders: int
    households: int
    seconds: float
    vendor: str
    load_seconds: float = 0.0  # generating + COPY/bulk_create
    index_seconds: float = 0.0  # rebuilding the dropped indexes and re-validating the foreign keys
    fk_check_seconds: float = 0.0  # the deferred foreign-key checks of the loaded rows
    commit_seconds: float = 0.0
    analyze_seconds: float = 0.0
    largest_townships: list[tuple[str, str, int]] = field(default_factory=list)  # code, name, elders

    @property
    def rows_per_second(self) -> float:
        return self.elders / self.seconds if self.seconds else 0.0


def ensure_regions() -> int:
    """Load the 8,902-row seed file if the region table is empty; return the number of villages."""
    if not Region.objects.exists():
        load_regions_file(path=SEED_FILE, default_valid_from=SEED_VALID_FROM)
    return Region.objects.filter(level=Region.Level.VILLAGE).count()


def village_weights(township_of: list[str], seed: int) -> list[float]:
    """One weight per village (same order as ``township_of``): Zipf by a seeded township rank.

    A township's share is rank**-s, split over its villages with a log-normal jitter, so large
    townships are large because of their rank, not because they happen to have many villages.
    """
    rng = random.Random(f"bench-village-weights-{seed}")
    townships = sorted(set(township_of))
    rng.shuffle(townships)
    township_weight = {code: (rank + 1) ** -TOWNSHIP_ZIPF_EXPONENT for rank, code in enumerate(townships)}
    villages_in = {code: 0 for code in townships}
    for code in township_of:
        villages_in[code] += 1
    return [
        township_weight[code] / villages_in[code] * rng.lognormvariate(0.0, VILLAGE_JITTER_SIGMA)
        for code in township_of
    ]


def load_villages() -> list[Village]:
    rows = (
        Region.objects.filter(level=Region.Level.VILLAGE)
        .order_by("code")
        .values_list("id", "code", "name", "parent__name")
    )
    return [Village(pk, code, f"{township or ''}{name}") for pk, code, name, township in rows]


def synthetic_rows(
    *, n: int, seed: int, villages: list[Village], first_household_id: int
) -> Iterator[tuple[tuple | None, tuple]]:
    """Yield (household values or None, elder values) in HOUSEHOLD_VALUES / ELDER_VALUES order.

    A household row comes with the first elder of each household; its id is assigned here, so the
    elder rows can reference it without reading anything back from the database.
    """
    by_code = {v.code: v for v in villages}
    codes = [v.code for v in villages]
    weights = village_weights([code[:9] for code in codes], seed)
    household_id = first_household_id - 1
    current_key = None
    address = ""
    for p in synthetic.generate(n=n, village_codes=codes, today=REFERENCE_DATE, seed=seed, village_weights=weights):
        village = by_code[p.region_code]
        household = None
        if p.household_key != current_key:
            current_key = p.household_key
            household_id += 1
            number = p.household_key.rsplit("-", 1)[1]
            address = f"{village.address_prefix}{int(number) % 400 + 1}号"
            household = (
                household_id, number, village.id, village.code, address, p.hukou_type, p.name,
                CREATED_AT, CREATED_AT,
            )
        elder = (
            p.id_number, p.name, p.sex, p.birth_date, p.phone, household_id, p.relation_to_head, village.id,
            village.code, address, p.local_hukou, p.hukou_type, p.economic_status, p.living_arrangement,
            p.disability_category, p.disability_grade, p.special_family, p.veteran_category, p.ability_level,
            "institution" if p.economic_status == "tekun_inst" else "home", p.deceased_on,
            p.bank_name, p.bank_account, BENCH_NOTE, CREATED_AT, CREATED_AT,
        )
        yield household, elder


def _empty_elder_tables(*, reset: bool) -> None:
    """Remove the previous run's rows; refuse to touch elders someone else entered unless ``reset``."""
    foreign = Elder.objects.exclude(note=BENCH_NOTE).count()
    if foreign and not reset:
        raise GenerateRefused(
            f"this database holds {foreign} elders not written by the bench generator; "
            "point --database-url at a dedicated database, or pass --reset to delete them"
        )
    if connection.vendor == "postgresql":
        # CASCADE empties tables that reference elders (assessments, visits…): in a bench database
        # those rows can only belong to earlier synthetic elders.
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {Elder._meta.db_table}, {Household._meta.db_table} RESTART IDENTITY CASCADE"
            )
    else:
        # Plain DELETE: no per-row signals, so no "deleted" history rows for synthetic elders.
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {Elder._meta.db_table}")
            cursor.execute(f"DELETE FROM {Household._meta.db_table}")


def _drop_for_load(cursor, tables: tuple[str, ...]) -> list[str]:
    """Drop the non-unique secondary indexes and the foreign keys of ``tables``; return how to restore them.

    Primary keys and unique constraints stay: they are what the rows must satisfy while loading.
    Restoring re-validates each foreign key with one join instead of a million trigger calls.
    """
    from psycopg import sql

    cursor.execute(
        """
        SELECT x.indrelid::regclass::text, i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = ANY(%s::regclass[]) AND NOT x.indisunique AND NOT x.indisprimary
        ORDER BY 1, 2
        """,
        [list(tables)],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint
        WHERE conrelid = ANY(%s::regclass[]) AND contype = 'f'
        ORDER BY 1, 2
        """,
        [list(tables)],
    )
    foreign_keys = cursor.fetchall()
    restore = []
    for table, name, definition in foreign_keys:
        cursor.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name))
        )
        restore.append(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}")
            .format(sql.Identifier(table), sql.Identifier(name), sql.SQL(definition))
            .as_string(cursor.connection)
        )
    for _table, name, definition in indexes:
        cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        restore.append(definition)
    return restore


def _copy_statement(model, layout: RowLayout):
    from psycopg import sql

    return sql.SQL("COPY {} ({}) FROM STDIN WITH (FREEZE)").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, layout.columns))
    )


def _copy_postgres(rows: Iterator[tuple[tuple | None, tuple]], *, drop_indexes: bool, result: GenerateResult):
    """COPY both tables inside the current transaction (the caller truncated them in it, for FREEZE).

    Elders stream straight into COPY; household rows are buffered (≈ 0.7 per elder, small tuples)
    and copied afterwards, because one connection runs one COPY at a time. That order is fine:
    the foreign keys are either dropped for the load or, as Django creates them, DEFERRABLE
    INITIALLY DEFERRED.
    """
    elder_layout, household_layout = RowLayout(Elder, ELDER_VALUES), RowLayout(Household, HOUSEHOLD_VALUES)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        tables = (Elder._meta.db_table, Household._meta.db_table)
        restore = _drop_for_load(cursor, tables) if drop_indexes else []

        started = time.perf_counter()
        pg_cursor = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
        households: list[tuple] = []
        with pg_cursor.copy(_copy_statement(Elder, elder_layout)) as copy:
            for household, elder in rows:
                if household is not None:
                    households.append(household)
                copy.write_row(elder_layout.complete(elder))
                result.elders += 1
        with pg_cursor.copy(_copy_statement(Household, household_layout)) as copy:
            for household in households:
                copy.write_row(household_layout.complete(household))
        result.households = len(households)
        if households:  # the ids were given explicitly: move the sequence past the last one
            last_id = households[-1][HOUSEHOLD_VALUES.index("id")]
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [Household._meta.db_table, last_id])
        del households
        result.load_seconds = time.perf_counter() - started

        started = time.perf_counter()
        # With the keys in place, run their deferred per-row checks now rather than hidden in COMMIT.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        result.fk_check_seconds = time.perf_counter() - started

        started = time.perf_counter()
        for statement in restore:
            cursor.execute(statement)
        result.index_seconds = time.perf_counter() - started


def _bulk_create(rows: Iterator[tuple[tuple | None, tuple]], *, result: GenerateResult) -> None:
    """The portable path: bulk_create in batches, households before the elders that reference them."""
    started = time.perf_counter()
    elder_layout, household_layout = RowLayout(Elder, ELDER_VALUES), RowLayout(Household, HOUSEHOLD_VALUES)
    households: list[Household] = []
    elders: list[Elder] = []

    def flush():
        Household.objects.bulk_create(households, batch_size=ORM_BATCH_SIZE)
        Elder.objects.bulk_create(elders, batch_size=ORM_BATCH_SIZE)
        result.households += len(households)
        result.elders += len(elders)
        households.clear()
        elders.clear()

    for household, elder in rows:
        if household is not None:
            households.append(household_layout.instance(Household, household))
        elders.append(elder_layout.instance(Elder, elder))
        if len(elders) >= ORM_BATCH_SIZE:
            flush()
    flush()
    result.load_seconds = time.perf_counter() - started


def largest_townships(limit: int = 3) -> list[tuple[str, str, int]]:
    """(code, name, elders) of the townships with the most elders, largest first."""
    counts = list(
        Elder.objects.annotate(prefix=Substr("region_code", 1, 9))
        .values_list("prefix")
        .annotate(n=Count("id"))
        .order_by("-n", "prefix")[:limit]
    )
    codes = [prefix.ljust(12, "0") for prefix, _ in counts]
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return [(code, names.get(code, "?"), n) for code, (_, n) in zip(codes, counts)]


def generate(*, n: int, seed: int = 20261125, reset: bool = False, drop_indexes: bool = True) -> GenerateResult:
    """Replace the registry's elders and households by ``n`` synthetic elders; deterministic per seed."""
    if n < 1:
        raise ValueError("n must be at least 1")
    ensure_regions()
    villages = load_villages()
    result = GenerateResult(elders=0, households=0, seconds=0.0, vendor=connection.vendor)
    started = time.perf_counter()
    with transaction.atomic():
        _empty_elder_tables(reset=reset)
        first_id = (Household.objects.aggregate(top=Max("id"))["top"] or 0) + 1
        rows = synthetic_rows(n=n, seed=seed, villages=villages, first_household_id=first_id)
        if connection.vendor == "postgresql":
            _copy_postgres(rows, drop_indexes=drop_indexes, result=result)
        else:
            _bulk_create(rows, result=result)
        commit_started = time.perf_counter()
    result.commit_seconds = time.perf_counter() - commit_started
    analyze_started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Elder._meta.db_table}")
            cursor.execute(f"ANALYZE {Household._meta.db_table}")
    result.analyze_seconds = time.perf_counter() - analyze_started
    result.seconds = time.perf_counter() - started
    result.largest_townships = largest_townships()
    return result
