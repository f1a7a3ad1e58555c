"""Synthetic elders for the demo and the benchmarks. Pure: no ORM, deterministic for a seed.

Shares are rough but realistic for a county in north-west China (demo only; not statistics).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from . import rules

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN_M = "建国华明军伟强平刚文辉海林志勇永德忠福全斌俊生宝山成祥春发贵荣兴旺富有才"
GIVEN_F = "秀兰英芳玉珍桂花凤霞丽娟琴梅淑云兰萍琼燕红翠莲香芬娥菊彩月"

AGE_WEIGHTS = [(60, 70, 55.0), (70, 80, 30.0), (80, 90, 12.0), (90, 100, 2.7), (100, 105, 0.3)]
ECONOMIC = [("normal", 88.0), ("dibao", 6.0), ("dibao_edge", 2.0), ("tekun_home", 1.5), ("tekun_inst", 0.5), ("hardship", 2.0)]
LIVING = [("alone", 12.0), ("empty_nest", 35.0), ("left_behind", 8.0), ("with_children", 40.0), ("other", 5.0)]
DISABILITY_CATEGORIES = ["visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"]
ABILITY = [(0, 60.0), (1, 20.0), (2, 10.0), (3, 6.0), (4, 4.0)]
BANKS = ["农村商业银行", "邮政储蓄银行", "中国农业银行", "中国建设银行"]


@dataclass
class SyntheticElder:
    id_number: str
    name: str
    sex: str
    birth_date: dt.date
    phone: str
    region_code: str
    household_key: str  # village code + serial; elders of one household share it
    relation_to_head: str
    local_hukou: bool
    hukou_type: str
    economic_status: str
    living_arrangement: str
    disability_category: str
    disability_grade: int | None
    special_family: str
    veteran_category: str
    ability_level: int | None
    deceased_on: dt.date | None
    bank_name: str
    bank_account: str


def _weighted(rng: random.Random, table):
    values = [row[0] for row in table]
    weights = [row[-1] for row in table]
    return rng.choices(values, weights=weights, k=1)[0]


def make_id_number(rng: random.Random, address_code: str, birth: dt.date, sex: str, taken: set[str]) -> str:
    """A valid, unique ID number; the sequence digit's parity carries the sex (GB 11643)."""
    for _ in range(1000):
        seq = rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
        first17 = f"{address_code}{birth:%Y%m%d}{seq:03d}"
        number = first17 + rules.check_char(first17)
        if number not in taken:
            taken.add(number)
            return number
    raise RuntimeError("could not find a free ID sequence number")  # pragma: no cover


def generate(
    *, n: int, village_codes: list[str], today: dt.date, seed: int = 42, village_weights: list[float] | None = None
) -> Iterator[SyntheticElder]:
    """Yield n elders spread over the villages (optionally weighted), in households of one or two."""
    rng = random.Random(seed)
    taken: set[str] = set()
    serial = 0
    produced = 0
    cumulative = None
    if village_weights:
        total = 0.0
        cumulative = []
        for w in village_weights:
            total += w
            cumulative.append(total)
    while produced < n:
        if cumulative:
            village = rng.choices(village_codes, cum_weights=cumulative, k=1)[0]
        else:
            village = village_codes[rng.randrange(len(village_codes))]
        serial += 1
        household_key = f"{village}-{serial:06d}"
        couple = produced + 1 < n and rng.random() < 0.35
        hukou_type = "urban" if rng.random() < 0.3 else "rural"
        members = 2 if couple else 1
        lo, hi, _ = rng.choices(AGE_WEIGHTS, weights=[r[2] for r in AGE_WEIGHTS], k=1)[0]
        base_age = rng.randrange(lo, hi)
        living = "empty_nest" if couple and rng.random() < 0.5 else _weighted(rng, LIVING)
        if not couple and living == "empty_nest":
            living = "alone"
        economic = _weighted(rng, ECONOMIC)
        first_sex = "M" if rng.random() < 0.5 else "F"
        sexes = [first_sex, "F" if first_sex == "M" else "M"][:members]
        for index, sex in enumerate(sexes):
            age = max(60, min(104, base_age + (rng.randrange(-4, 5) if index else 0)))
            birth = today - dt.timedelta(days=age * 365 + rng.randrange(0, 365) + age // 4)
            if rules.age_on(birth, today) < 60:
                birth = birth.replace(year=birth.year - 1)
            given = GIVEN_M if sex == "M" else GIVEN_F
            name = rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2))))
            disabled = rng.random() < 0.08
            grade = rng.choices([1, 2, 3, 4], weights=[15, 25, 30, 30])[0] if disabled else None
            assessed = rng.random() < 0.3
            deceased = rng.random() < 0.01
            has_bank = rng.random() < 0.8
            special = ""
            roll = rng.random()
            if roll < 0.005:
                special = "only_child_deceased"
            elif roll < 0.008:
                special = "only_child_disabled"
            yield SyntheticElder(
                id_number=make_id_number(rng, village[:6], birth, sex, taken),
                name=name,
                sex=sex,
                birth_date=birth,
                phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if rng.random() < 0.8 else "",
                region_code=village,
                household_key=household_key,
                relation_to_head="head" if index == 0 else "spouse",
                local_hukou=rng.random() < 0.95,
                hukou_type=hukou_type,
                economic_status=economic,
                living_arrangement=living,
                disability_category=rng.choice(DISABILITY_CATEGORIES) if disabled else "",
                disability_grade=grade,
                special_family=special,
                veteran_category="demobilised" if rng.random() < 0.01 else "",
                ability_level=_weighted(rng, ABILITY) if assessed else None,
                deceased_on=today - dt.timedelta(days=rng.randrange(1, 365)) if deceased else None,
                bank_name=rng.choice(BANKS) if has_bank else "",
                bank_account=f"62{rng.randrange(10**16):016d}" if has_bank else "",
            )
            produced += 1
            if produced >= n:
                return
