"""QR codes for bed labels (一人一床一码), drawn as inline SVG by segno (pure Python, no images on disk)."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def svg(text: str, *, scale: int = 3) -> SafeString:
    """An inline <svg> encoding `text` (the bed code only: labels carry no personal data)."""
    code = segno.make(text, error="m", micro=False)
    # segno escapes nothing user-controlled into the markup except the title, which we omit.
    return mark_safe(code.svg_inline(scale=scale, border=2, dark="#000", light="#fff", omitsize=True))  # noqa: S308
