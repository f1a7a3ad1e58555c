"""Pure rules about people: ID numbers (GB 11643-1999), ages, masking, phone numbers. No ORM.

Sources: docs/domain.md §2 (layout, ISO 7064 MOD 11-2 check character, 15-digit upgrade).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# Position weights 2^(17-i) mod 11 and the check character for each remainder (GB 11643-1999).
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = dt.date(1880, 1, 1)

_FULLWIDTH = {ord("０") + i: str(i) for i in range(10)}
_FULLWIDTH.update({ord("Ｘ"): "X", ord("ｘ"): "X", ord("x"): "X"})
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\-]+")


class IdNumberError(ValueError):
    """A Chinese message saying what is wrong with an ID number."""


@dataclass(frozen=True)
class ParsedId:
    number: str  # normalised 18-character form
    address_code: str
    birth_date: dt.date
    sex: str  # "M" or "F"


def normalize_id_number(raw: str) -> str:
    """Remove spaces/dashes (incl. full-width), map full-width digits and lower-case x to ASCII."""
    return _SPACES.sub("", (raw or "").translate(_FULLWIDTH)).upper()


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def upgrade_15_to_18(number15: str) -> str:
    """GB 11643-1989 → 1999: insert the century '19' before YY and append the check character."""
    if len(number15) != 15 or not number15.isdigit():
        raise IdNumberError("15位旧身份证号码应全部为数字")
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_char(first17)


def parse_id_number(raw: str, *, today: dt.date | None = None) -> ParsedId:
    """Validate an ID number and return its normalised form with birth date and sex.

    Raises IdNumberError with a message a clerk can act on.
    """
    number = normalize_id_number(raw)
    if not number:
        raise IdNumberError("请填写身份证号码")
    if len(number) == 15:
        if not number.isdigit():
            raise IdNumberError("15位旧身份证号码应全部为数字")
        number = upgrade_15_to_18(number)
    elif len(number) != 18:
        raise IdNumberError(f"身份证号码应为18位（或15位旧号码），现为{len(number)}位")
    first17, last = number[:17], number[17]
    if not first17.isdigit() or not (last.isdigit() or last == "X"):
        raise IdNumberError("身份证号码只能由数字组成，最后一位可以是X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(f"身份证号码中的出生日期“{number[6:14]}”不是有效日期") from None
    today = today or dt.date.today()
    if birth < EARLIEST_BIRTH or birth > today:
        raise IdNumberError(f"身份证号码中的出生日期“{number[6:14]}”不合理")
    if check_char(first17) != last:
        raise IdNumberError("身份证号码校验位不正确，请核对是否录入有误")
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ParsedId(number=number, address_code=number[:6], birth_date=birth, sex=sex)


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Whole years (周岁) on a date. Someone born on 29 Feb turns a year older on 1 Mar in common years."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def birth_date_bounds_for_age(min_age: int | None, max_age: int | None, on: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """Birth-date range (inclusive) of people whose age on ``on`` is in [min_age, max_age).

    Lets age filters become an index-friendly ``birth_date`` range instead of per-row arithmetic.
    """

    def years_before(date: dt.date, years: int) -> dt.date:
        try:
            return date.replace(year=date.year - years)
        except ValueError:  # from 29 Feb into a common year: the last day that qualifies is 28 Feb
            return dt.date(date.year - years, 2, 28)

    latest = None
    earliest = None
    if min_age is not None:
        # age >= min_age  ⇔  birth_date <= on - min_age years
        latest = years_before(on, min_age)
    if max_age is not None:
        # age < max_age  ⇔  birth_date > on - max_age years
        earliest = years_before(on, max_age) + dt.timedelta(days=1)
    return earliest, latest


MASK_KEEP_START = 3
MASK_KEEP_END = 2


def mask_birth_date(value: object) -> str:
    """A birth date for a role without full-ID rights: never shown beside a masked ID (it is 8 of its
    18 characters; docs/security.md), so always ``****-**-**``."""
    return "****-**-**" if value else ""


def mask_id_number(number: str) -> str:
    """610403199001011234 → 610*************34: the first 3 and the last 2 characters.

    Chosen so that the mask plus what any page shows next to it (village → the first 6 digits, sex → the
    parity of the 17th, age → the birth date within a year) still leaves about 3,300 candidates: the
    birth date is never shown beside a mask to a role without full-ID rights (docs/security.md).
    """
    if not number:
        return ""
    if len(number) <= MASK_KEEP_START + MASK_KEEP_END:
        return "*" * len(number)
    return number[:MASK_KEEP_START] + "*" * (len(number) - MASK_KEEP_START - MASK_KEEP_END) + number[-MASK_KEEP_END:]


def mask_bank_account(account: str) -> str:
    """6217001234567890 → ************7890: only the last 4 digits, for pages and history."""
    if not account:
        return ""
    return "*" * max(len(account) - 4, 0) + account[-4:]


_PHONE_JUNK = re.compile(r"[\s\u3000\-()（）]+")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}\d{7,8}$")


def normalize_phone(raw: str) -> str:
    """Strip spaces, dashes and brackets; map full-width digits. Validation is separate."""
    return _PHONE_JUNK.sub("", (raw or "").translate(_FULLWIDTH))


def phone_error(phone: str) -> str | None:
    """None if a normalised phone number is an 11-digit mobile or a landline with area code."""
    if not phone:
        return None
    if MOBILE_RE.match(phone) or LANDLINE_RE.match(phone):
        return None
    return "联系电话应为11位手机号码，或带区号的固定电话（如 029-87012345）"


def mask_phone(phone: str) -> str:
    """13812341234 → 138****1234; a landline keeps its area code and last 4 digits."""
    if not phone:
        return ""
    if len(phone) == 11 and phone.startswith("1"):
        return phone[:3] + "****" + phone[-4:]
    if len(phone) <= 4:
        return "*" * len(phone)
    keep = 4 if phone.startswith("0") and len(phone) > 8 else 0
    return phone[:keep] + "*" * (len(phone) - keep - 4) + phone[-4:]


FULL_ID = "registry.view_full_id_number"
# What a role without the full-ID permission sees masked, on admin pages, history and exports.
PERSONAL_DATA = {
    "id_number": (FULL_ID, mask_id_number),
    "bank_account": (FULL_ID, mask_bank_account),
    # With the village (first 6 digits) and sex beside it, the birth date completes the ID.
    "birth_date": (FULL_ID, mask_birth_date),
}
