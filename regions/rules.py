"""Pure rules for statistical division codes (统计用区划代码). No ORM.

A 12-digit code is hierarchical by prefix: 2 province, 4 city, 6 county, 9 township, 12 village.
"""

from __future__ import annotations

LEVEL_PREFIX_LENGTH = {
    "province": 2,
    "city": 4,
    "county": 6,
    "township": 9,
    "village": 12,
}
LEVELS = tuple(LEVEL_PREFIX_LENGTH)


def prefix_for(code: str, level: str) -> str:
    """The significant prefix of a padded 12-digit code at its level (6104030000 → 610403)."""
    return code[: LEVEL_PREFIX_LENGTH[level]]


def pad_code(code: str) -> str:
    """A 2/4/6/9/12-digit code right-padded with zeros to 12 digits."""
    code = code.strip()
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise ValueError(f"区划代码应为2、4、6、9或12位数字：{code!r}")
    return code.ljust(12, "0")


def expected_parent_code(code: str, level: str) -> str | None:
    """The padded code of the parent a code implies by its prefix (None for a province)."""
    index = LEVELS.index(level)
    if index == 0:
        return None
    parent_level = LEVELS[index - 1]
    return pad_code(code[: LEVEL_PREFIX_LENGTH[parent_level]])
