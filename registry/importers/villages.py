"""Villages an uploader may import into, resolved by 12-digit code or by name inside their area."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from imports.values import clean_text, compact, header_key
from regions.models import Region

_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会")


def _aliases(name: str) -> set[str]:
    key = header_key(name)
    found = {key}
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            base = key[: -len(suffix)]
            found.add(base)
            if suffix.startswith("村") and not base.endswith("村"):
                found.add(base + "村")
            if suffix.startswith("居") and base.endswith("社区"):
                found.add(base[:-2])
            break
    else:
        if key.endswith("社区") and len(key) > 2:
            found.add(key[:-2])
    return found


class Villages:
    """The villages a user may import into, resolvable by 12-digit code or name (one query)."""

    def __init__(self, user: Any):
        self.user = user
        rows = Region.objects.visible_to(user).filter(level=Region.Level.VILLAGE).values_list(
            "id", "code", "name", "parent__name"
        )
        self.by_code: dict[str, tuple[int, str]] = {}
        self.by_name: dict[str, set[tuple[int, str]]] = defaultdict(set)
        self.names: dict[int, str] = {}
        for pk, code, name, township in rows:
            entry = (pk, code)
            self.by_code[code] = entry
            self.names[pk] = f"{township or ''}{name}"
            for alias in _aliases(name):
                self.by_name[alias].add(entry)
                if township:
                    for t in _aliases(township):
                        self.by_name[t + alias].add(entry)
                        self.by_name[t + "/" + alias].add(entry)
        self._cache: dict[str, tuple[int, str] | str] = {}
        self._outside_codes: set[str] = set()
        self._outside_names: set[str] = set()

    def prepare(self, values: Iterable[Any]) -> None:
        """Find, in two queries, which unresolved codes/names exist outside the area."""
        codes, names = set(), set()
        for value in values:
            text = compact(value)
            if text in self._cache:
                continue
            if text.isdigit():
                if len(text) == 12 and text not in self.by_code:
                    codes.add(text)
            elif header_key(text).replace("\\", "/") not in self.by_name:
                base = clean_text(value).split("/")[-1]
                names.update({base, *(base + s for s in _SUFFIXES), *(base[:-1] + s for s in _SUFFIXES if base.endswith("村"))})
        if codes:
            self._outside_codes = set(
                Region.objects.filter(code__in=codes, level=Region.Level.VILLAGE).values_list("code", flat=True)
            )
        if names:
            self._outside_names = {
                header_key(n) for n in Region.objects.filter(name__in=names, level=Region.Level.VILLAGE)
                .values_list("name", flat=True)
            }

    def resolve(self, value: Any) -> tuple[int, str] | str:
        """(region id, code) or a Chinese reason."""
        text = compact(value)
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        result: tuple[int, str] | str
        if text.isdigit():
            if len(text) != 12:
                result = "村(社区)代码应为12位数字"
            elif text in self.by_code:
                result = self.by_code[text]
            elif text in self._outside_codes:
                result = "该村(社区)不在您的管辖区域内"
            elif text.endswith("000"):
                result = "应填写村(社区)的12位代码，这是乡镇(街道)或以上的代码"
            else:
                result = "未找到该村(社区)代码"
        else:
            key = header_key(text).replace("\\", "/")
            found = self.by_name.get(key, set())
            if len(found) == 1:
                result = next(iter(found))
            elif len(found) > 1:
                result = "村(社区)名称有重名，请填写“乡镇(街道)/村名”或12位代码"
            elif any(alias in self._outside_names for alias in _aliases(key.split("/")[-1])) or (
                header_key(clean_text(value).split("/")[-1]) in self._outside_names
            ):
                result = "该村(社区)不在您的管辖区域内"
            else:
                result = "未找到该村(社区)，请核对名称或填写12位代码"
        self._cache[text] = result
        return result
