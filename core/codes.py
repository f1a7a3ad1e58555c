"""Administrative division codes (GB/T 2260 and the statistical 12-digit codes, docs/domain.md)."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class CountyCodeError(ValidationError, ValueError):
    """A county code that is not 6 or 12 digits. A ``ValidationError`` for services and forms, a
    ``ValueError`` for command-line callers; ``str()`` is the message itself."""

    def __str__(self) -> str:
        return self.messages[0]


def county_code12(code: str) -> str:
    """'610424' or any 12-digit code inside the county → '610424000000' (the county's own code)."""
    code = (code or "").strip()
    if len(code) not in (6, 12) or not code.isdigit():
        raise CountyCodeError(f"县(区)代码应为6位或12位数字：{code!r}")
    return code[:6] + "0" * 6
