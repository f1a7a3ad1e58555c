"""Payroll's import direction (issue 16): it pays enrolments and knows no rule.

- ``payouts`` reaches the policy engine only through ``eligibility.public`` (the payable enrolments
  and their amounts); the other ``eligibility`` modules it may still import are the registry's
  (elders: ID masking, history, admin field labels), which move to the registry app.
- Its modules import each other in one direction: no circle, and no import inside a function
  between them to hide one.
- The framework helpers it uses (``core.sql``, ``core.periods``, ``core.codes``, ``core.locks``)
  import no project app.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
REGISTRY_MODULES = {"eligibility.rules", "eligibility.history", "eligibility.admin"}
# The payroll's engine room: the use cases and what they are built from.
ENGINE = {f"payouts.{m}" for m in ("services", "generation", "reconciliation", "transitions", "line_events", "totals",
                                   "selectors", "rules", "models", "exports")}
PROJECT_APPS = {"regions", "audit", "imports", "eligibility", "assessments", "facilities", "visits", "payouts",
                "dashboard"}


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


def test_payouts_uses_the_policy_engine_only_through_its_public_module():
    offenders = sorted(
        f"{name} imports {target}"
        for name, path, package in _modules("payouts")
        for target, _ in _imports(path, package)
        if target.split(".")[0] == "eligibility" and target != "eligibility"
        and target != "eligibility.public" and not target.startswith("eligibility.public.")
        and target not in REGISTRY_MODULES and target.rsplit(".", 1)[0] not in REGISTRY_MODULES
    )
    assert not offenders, offenders


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


def test_the_framework_helpers_payroll_uses_import_no_project_app():
    offenders = [
        f"core.{name} imports {target}"
        for name in ("sql", "periods", "codes", "locks")
        for target, _ in _imports(ROOT / "core" / f"{name}.py", "core")
        if target.split(".")[0] in PROJECT_APPS
    ]
    assert not offenders, offenders
