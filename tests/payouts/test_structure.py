"""Payroll's own modules import each other in one direction: no circle, and no import inside a
function between them to hide one. (Which apps payouts may import, and that it reaches the policy
engine only through ``eligibility.public``, is tests/test_architecture.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# The payroll's engine room: the use cases and what they are built from.
ENGINE = {f"payouts.{m}" for m in ("services", "generation", "reconciliation", "transitions", "line_events", "totals",
                                   "selectors", "rules", "models", "exports")}


def _imports(path: Path, package: str) -> list[tuple[str, bool]]:
    """(absolute module, imported at module level?) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [f"{base}.{a.name}" for a in node.names] if not node.module or node.level else []
            found += [(base, id(node) in top)] + [(n, id(node) in top) for n in names]
    return found


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(ROOT).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        package = ".".join(rel.parts[:-1])
        yield name, path, package


def test_payouts_modules_import_each_other_in_one_direction():
    own = {name: path for name, path, _ in _modules("payouts")}
    graph: dict[str, set[str]] = {}
    late: list[str] = []
    for name, path, package in _modules("payouts"):
        for target, at_top in _imports(path, package):
            if target in own and target != name and target != "payouts":
                graph.setdefault(name, set()).add(target)
                if not at_top and name in ENGINE and target in ENGINE:
                    late.append(f"{name} imports {target} inside a function")
    assert not late, late

    def cycle_from(start: str, seen: tuple[str, ...]) -> tuple[str, ...] | None:
        for nxt in sorted(graph.get(start, ())):
            if nxt in seen:
                return (*seen[seen.index(nxt):], nxt)
            found = cycle_from(nxt, (*seen, nxt))
            if found:
                return found
        return None

    cycles = [c for c in (cycle_from(n, (n,)) for n in sorted(graph)) if c]
    assert not cycles, " → ".join(cycles[0])

