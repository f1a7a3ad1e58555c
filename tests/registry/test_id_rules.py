"""ID numbers (GB 11643-1999), ages, masking and phone numbers: the pure rules a clerk relies on."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from registry.choices import AGE_BANDS
from registry.rules import (
    IdNumberError,
    age_on,
    birth_date_bounds_for_age,
    check_char,
    mask_bank_account,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    parse_id_number,
    phone_error,
    upgrade_15_to_18,
)
from tests.conftest import TODAY

PROPERTY = settings(max_examples=150, deadline=None)
CHECK_CHARS = "0123456789X"
CHECKSUM_MESSAGE = "身份证号码校验位不正确，请核对是否录入有误"
PHONE_MESSAGE = "联系电话应为11位手机号码，或带区号的固定电话（如 029-87012345）"

address_codes = st.integers(min_value=110000, max_value=829999).map(str)
birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


def build_id(address: str, birth: dt.date, sequence: int) -> str:
    first17 = f"{address}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


# --- valid numbers -------------------------------------------------------------------------


@PROPERTY
@given(address=address_codes, birth=birth_dates, sequence=sequences)
def test_a_valid_number_gives_back_its_birth_date_and_sex(address, birth, sequence):
    number = build_id(address, birth, sequence)

    parsed = parse_id_number(number, today=TODAY)

    assert parsed.number == number
    assert parsed.address_code == address
    assert parsed.birth_date == birth
    assert parsed.sex == ("M" if sequence % 2 == 1 else "F")


@pytest.mark.parametrize(
    "number, birth, sex",
    [
        ("360426199101010071", dt.date(1991, 1, 1), "M"),
        ("34052419800101001X", dt.date(1980, 1, 1), "M"),
    ],
)
def test_the_domain_test_vectors_are_accepted(number, birth, sex):
    parsed = parse_id_number(number, today=TODAY)

    assert (parsed.number, parsed.birth_date, parsed.sex) == (number, birth, sex)


def test_the_domain_vector_with_a_wrong_check_digit_is_refused():
    with pytest.raises(IdNumberError, match=CHECKSUM_MESSAGE):
        parse_id_number("360426199101010072", today=TODAY)


def test_an_even_seventeenth_digit_means_female():
    number = build_id("610403", dt.date(1946, 12, 3), 2)

    assert parse_id_number(number, today=TODAY).sex == "F"


# --- typing mistakes are caught ---------------------------------------------------------------


@PROPERTY
@given(
    address=address_codes,
    birth=birth_dates,
    sequence=sequences,
    position=st.integers(min_value=0, max_value=16),
    shift=st.integers(min_value=1, max_value=9),
)
def test_any_single_wrong_digit_is_caught(address, birth, sequence, position, shift):
    number = build_id(address, birth, sequence)
    wrong_digit = str((int(number[position]) + shift) % 10)
    typo = number[:position] + wrong_digit + number[position + 1 :]

    with pytest.raises(IdNumberError) as excinfo:
        parse_id_number(typo, today=TODAY)

    if position not in range(6, 14):  # outside the birth date the date stays valid: only the checksum can tell
        assert str(excinfo.value) == CHECKSUM_MESSAGE


@PROPERTY
@given(address=address_codes, birth=birth_dates, sequence=sequences, data=st.data())
def test_a_changed_check_character_is_caught(address, birth, sequence, data):
    number = build_id(address, birth, sequence)
    other = data.draw(st.sampled_from([c for c in CHECK_CHARS if c != number[-1]]))

    with pytest.raises(IdNumberError, match=CHECKSUM_MESSAGE):
        parse_id_number(number[:17] + other, today=TODAY)


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "请填写身份证号码"),
        ("61040319460101123", "身份证号码应为18位（或15位旧号码），现为17位"),
        ("6104031946010112345", "身份证号码应为18位（或15位旧号码），现为19位"),
        ("61040319460101123A", "身份证号码只能由数字组成，最后一位可以是X"),
        ("61040319461301123X", "身份证号码中的出生日期“19461301”不是有效日期"),
        ("61040319460101X234", "身份证号码只能由数字组成，最后一位可以是X"),
        ("61040318700101123X", "身份证号码中的出生日期“18700101”不合理"),
        ("61040320271201123X", "身份证号码中的出生日期“20271201”不合理"),
        ("61040346010112X", "15位旧身份证号码应全部为数字"),
    ],
)
def test_a_malformed_number_is_refused_with_a_message_a_clerk_can_act_on(raw, message):
    with pytest.raises(IdNumberError) as excinfo:
        parse_id_number(raw, today=TODAY)

    assert str(excinfo.value) == message


def test_a_birth_date_after_today_is_refused_but_today_itself_is_accepted():
    born_today = build_id("610403", TODAY, 11)
    born_tomorrow = build_id("610403", TODAY + dt.timedelta(days=1), 11)

    assert parse_id_number(born_today, today=TODAY).birth_date == TODAY
    with pytest.raises(IdNumberError, match="不合理"):
        parse_id_number(born_tomorrow, today=TODAY)


# --- 15-digit numbers ------------------------------------------------------------------------


@PROPERTY
@given(
    address=address_codes,
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)),
    sequence=sequences,
)
def test_an_old_15_digit_number_is_upgraded_to_18_digits(address, birth, sequence):
    old = f"{address}{birth:%y%m%d}{sequence:03d}"

    parsed = parse_id_number(old, today=TODAY)

    assert len(parsed.number) == 18
    assert parsed.number[:6] == address
    assert parsed.number[6:8] == "19"
    assert parsed.number[17] == check_char(parsed.number[:17])
    assert parsed.number == build_id(address, birth.replace(year=1900 + birth.year % 100), sequence)
    assert parsed.sex == ("M" if sequence % 2 == 1 else "F")
    assert upgrade_15_to_18(old) == parsed.number


def test_the_15_digit_form_of_a_domain_vector_upgrades_to_the_vector():
    assert parse_id_number("360426910101007", today=TODAY).number == "360426199101010071"


# --- leap days -----------------------------------------------------------------------------


@pytest.mark.parametrize("year", [1948, 1960, 2000])
def test_born_on_29_february_of_a_leap_year_is_a_valid_birth_date(year):
    number = build_id("610403", dt.date(year, 2, 29), 21)

    assert parse_id_number(number, today=TODAY).birth_date == dt.date(year, 2, 29)


@pytest.mark.parametrize("year", [1900, 1949, 1951, 1990])
def test_29_february_of_a_common_year_is_refused(year):
    first17 = f"610403{year}0229021"
    number = first17 + check_char(first17)  # checksum right, so only the date can be at fault

    with pytest.raises(IdNumberError, match=f"出生日期“{year}0229”不是有效日期"):
        parse_id_number(number, today=TODAY)


# --- normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "３４０５２４１９８００１０１００１Ｘ",  # full-width digits and X
        "34052419800101001x",  # lower-case x
        "340524 19800101 001x",  # spaces
        "340524\u300019800101\u3000001X",  # ideographic spaces
        "340524-19800101-001X",  # dashes
        " 34052419800101001X \n",  # surrounding whitespace
    ],
)
def test_how_a_number_was_typed_does_not_matter(typed):
    assert normalize_id_number(typed) == "34052419800101001X"
    assert parse_id_number(typed, today=TODAY).number == "34052419800101001X"


# --- ages ----------------------------------------------------------------------------------


def test_someone_born_on_29_february_is_still_younger_on_28_february_of_a_common_year():
    born = dt.date(1948, 2, 29)

    assert age_on(born, dt.date(2026, 2, 28)) == 77
    assert age_on(born, dt.date(2026, 3, 1)) == 78


def test_someone_born_on_29_february_turns_older_on_their_birthday_in_a_leap_year():
    born = dt.date(1948, 2, 29)

    assert age_on(born, dt.date(2028, 2, 28)) == 79
    assert age_on(born, dt.date(2028, 2, 29)) == 80


def test_age_changes_on_the_birthday_not_the_day_before():
    born = dt.date(1946, 11, 25)

    assert age_on(born, dt.date(2026, 11, 24)) == 79
    assert age_on(born, dt.date(2026, 11, 25)) == 80


def _month_ends(years: range) -> list[dt.date]:
    return [dt.date(y, m, calendar.monthrange(y, m)[1]) for y in years for m in range(1, 13)]


SPECIAL_DATES = [
    *(dt.date(y, 2, 29) for y in (1940, 1948, 1952, 2000, 2020, 2024, 2028)),
    *(dt.date(y, 2, 28) for y in (1949, 2023, 2025, 2026, 2027)),
    *(dt.date(y, 3, 1) for y in (1948, 1949, 2024, 2026)),
    *_month_ends(range(2024, 2029)),
]
reference_dates = st.one_of(
    st.sampled_from(SPECIAL_DATES), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))
)
elder_birth_dates = st.one_of(
    st.sampled_from([dt.date(y, 2, 29) for y in range(1904, 2001, 4)] + _month_ends(range(1940, 1950))),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)),
)
age_limits = st.one_of(st.none(), st.integers(min_value=0, max_value=120))
bands = st.one_of(
    st.sampled_from([(low, high) for _label, low, high in AGE_BANDS.values()]),
    st.tuples(age_limits, age_limits),
)


@settings(max_examples=400, deadline=None)
@given(born=elder_birth_dates, on=reference_dates, band=bands)
@example(born=dt.date(1948, 2, 29), on=dt.date(2026, 2, 28), band=(78, None))
@example(born=dt.date(1948, 2, 29), on=dt.date(2026, 3, 1), band=(78, None))
@example(born=dt.date(2023, 3, 1), on=dt.date(2024, 2, 29), band=(None, 1))
@example(born=dt.date(2023, 2, 28), on=dt.date(2024, 2, 29), band=(1, None))
def test_birth_date_bounds_select_exactly_the_people_of_that_age(born, on, band):
    low, high = band

    earliest, latest = birth_date_bounds_for_age(low, high, on)

    inside_bounds = (earliest is None or born >= earliest) and (latest is None or born <= latest)
    age = age_on(born, on)
    in_band = (low is None or age >= low) and (high is None or age < high)
    assert inside_bounds == in_band


# --- masking -------------------------------------------------------------------------------


def test_an_id_number_is_masked_to_its_first_three_and_last_two_characters():
    assert mask_id_number("610403199001011234") == "610*************34"
    assert mask_id_number("34052419800101001X") == "340*************1X"


def test_attack_rebuild_id_from_mask_village_sex_and_age_leaves_thousands_of_candidates():
    """What a role without full-ID rights sees of an elder — the mask, the village (so the first 6 digits),
    sex and age — fits thousands of valid ID numbers. (The old mask, first 6 + last 4, next to the birth
    date left exactly one: digits 7–14 were the birth date.)"""
    from registry.rules import check_char

    today = dt.date(2026, 12, 3)
    real = "61040319500315002" + check_char("61040319500315002")
    parsed = parse_id_number(real, today=today)
    mask, age = mask_id_number(real), age_on(parsed.birth_date, today)
    candidates = set()
    day = dt.date(today.year - age - 1, 1, 1)
    while day <= today:
        if age_on(day, today) == age:
            for seq in range(1000):
                first17 = f"610403{day:%Y%m%d}{seq:03d}"
                if ("M" if seq % 2 else "F") != parsed.sex or first17[-1] != mask[-2]:
                    continue
                number = first17 + check_char(first17)
                if mask_id_number(number) == mask:
                    candidates.add(number)
        day += dt.timedelta(days=1)
        if day.year > today.year - age:
            break

    assert real in candidates and len(candidates) > 3000


def test_a_mobile_number_is_masked_in_the_middle():
    assert mask_phone("13812341234") == "138****1234"


def test_masking_never_shows_a_short_value_in_full():
    assert mask_id_number("1234") == "****"
    assert mask_phone("1234") == "****"
    assert mask_id_number("") == mask_phone("") == ""


def test_a_landline_keeps_only_its_area_code_and_last_four_digits():
    masked = mask_phone("02987012345")

    assert masked.startswith("029") and masked.endswith("2345")
    assert "8701" not in masked
    assert len(masked) == len("02987012345")


# --- phone numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, normalised",
    [
        ("138 1234 1234", "13812341234"),
        ("138-1234-1234", "13812341234"),
        ("１３８１２３４１２３４", "13812341234"),
        ("(029) 8701-2345", "02987012345"),
        ("（029）87012345", "02987012345"),
    ],
)
def test_a_phone_number_is_normalised_and_then_accepted(typed, normalised):
    assert normalize_phone(typed) == normalised
    assert phone_error(normalised) is None


def test_no_phone_number_is_fine():
    assert phone_error(normalize_phone("")) is None


@pytest.mark.parametrize(
    "typed",
    [
        "1381234123",  # 10 digits
        "138123412345",  # 12 digits
        "12812341234",  # no mobile network starts with 12
        "23812341234",
        "8701234",  # landline without area code
        "138ABCD1234",
    ],
)
def test_a_wrong_phone_number_gets_the_phone_message(typed):
    assert phone_error(normalize_phone(typed)) == PHONE_MESSAGE


@PROPERTY
@given(first17=st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_the_check_character_agrees_with_the_iso_7064_one_liner(first17):
    # python-stdnum's formulation of MOD 11-2 (docs/domain.md §2), independent of the weight table
    remainder = (1 - 2 * int(first17, 13)) % 11

    assert check_char(first17) == ("X" if remainder == 10 else str(remainder))


def test_a_bank_account_shows_only_its_last_four_digits():
    assert mask_bank_account("6217001234567890") == "************7890"
    assert mask_bank_account("") == ""
