"""Meta-tests of the architecture (docs/architecture.md "Layering", "The scoping rule").

Read from the source with ``ast`` (migrations excluded; a function-level import counts like a
top-level one):

- the framework package ``core`` imports no project app;
- every app imports only the apps the layering table below allows;
- a pair listed in ``THROUGH_PUBLIC_MODULE`` goes through the named public module only;
- no module imports another app's underscore-prefixed name (or module);
- the prefix rule (a division code compared by its prefix: ``__startswith`` on a code field,
  ``.startswith(`` on a code, ``code[:6] == other[:6]``) is written only in ``core/scoping.py``.

Each checker is also run on a few lines of made-up source, so a rule that could never fail would show.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# The project's packages: every app, plus the framework.
APPS = ["core", "audit", "regions", "imports", "registry", "eligibility", "assessments", "facilities", "visits",
        "payouts", "dashboard"]
PROJECT = {*APPS, "config", "bench", "tests"}

# app → the apps it may import. Read an entry as "may import from". Written from the real graph.
BASE = {"core", "audit", "regions", "imports"}
LAYERS: dict[str, set[str]] = {
    "core": set(),  # the framework: Django, the standard library and third-party packages only
    "audit": {"core"},
    "regions": {"core", "audit"},
    "imports": {"core", "audit"},
    "registry": BASE,
    "eligibility": BASE | {"registry"},
    "assessments": BASE | {"registry", "eligibility"},
    "facilities": BASE | {"registry", "eligibility"},
    "visits": BASE | {"registry", "eligibility"},
    "payouts": BASE | {"registry", "eligibility"},
    "dashboard": BASE | {"registry", "eligibility", "assessments", "facilities", "visits", "payouts"},
}

# (importer, imported) → the only module of ``imported`` the importer may use: every other app reaches
# the registry and the policy engine through their public modules (models in foreign keys by string).
THROUGH_PUBLIC_MODULE: dict[tuple[str, str], str] = {
    (app, target): f"{target}.public"
    for target in ("registry", "eligibility")
    for app in APPS
    if app != target and target in LAYERS[app]
}

# path → reason, for a module outside the apps that must reach a private name.
PRIVATE_NAME_EXCEPTIONS: dict[str, str] = {
    "bench/upload_bombs.py": "the benchmark calls the admin import's own size check (imports.admin_import."
                             "_size_checked) the way django-import-export does, to measure it in isolation",
}

# The prefix rule lives here and nowhere else.
SCOPING_MODULE = "core/scoping.py"
# path → reason, for a place that must compare a code by prefix outside the scoping module.
PREFIX_RULE_EXCEPTIONS: dict[str, str] = {}


# --- reading the source ------------------------------------------------------------------------------


def _sources(packages) -> Iterator[tuple[str, str]]:
    for package in packages:
        base = ROOT / package
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" in rel:
                continue
            yield rel, path.read_text(encoding="utf-8")


def _app_of(rel: str) -> str:
    return rel.split("/", 1)[0]


def _module_of(rel: str) -> str:
    parts = rel[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(rel: str, source: str) -> Iterator[tuple[int, str, list[str]]]:
    """(line, absolute module, imported names) for every import in a module; relative imports are
    resolved against the module's own package."""
    package = _module_of(rel).split(".")
    if not rel.endswith("__init__.py"):
        package = package[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node.lineno, module, [a.name for a in node.names]


# --- the rules ---------------------------------------------------------------------------------------


def layering_offences(rel: str, source: str) -> list[str]:
    app = _app_of(rel)
    allowed = LAYERS.get(app)
    if allowed is None:
        return []
    found = []
    for line, module, names in _imports(rel, source):
        top = module.split(".")[0]
        if top in PROJECT and top != app:
            if top not in allowed:
                found.append(f"{rel}:{line} {app} imports {module} (allowed: {sorted(allowed) or 'no project app'})")
                continue
            public = THROUGH_PUBLIC_MODULE.get((app, top))
            if public is None:
                continue
            # "from eligibility import public" is the public module too
            used = [module] if module != top else [f"{top}.{n}" for n in names] or [module]
            for target in used:
                if target != public and not target.startswith(public + "."):
                    found.append(f"{rel}:{line} {app} imports {target}; use {public}")
    return found


def private_name_offences(rel: str, source: str) -> list[str]:
    if rel in PRIVATE_NAME_EXCEPTIONS:
        return []
    app = _app_of(rel)
    found = []
    for line, module, names in _imports(rel, source):
        top = module.split(".")[0]
        if top not in PROJECT or top == app:
            continue
        private_parts = [p for p in module.split(".") if p.startswith("_") and not p.startswith("__")]
        private_names = [n for n in names if n.startswith("_") and not n.startswith("__")]
        if private_parts or private_names:
            found.append(f"{rel}:{line} imports a private name of {top}: {module} {private_names}")
    return found


CODE_WORD = re.compile(r"code|prefix", re.I)
STARTSWITH_LOOKUP = re.compile(r"(\w*)__startswith\b")


def _lookup_on_code(text: str) -> bool:
    """A ``__startswith`` lookup on a field named like a division code (…code, …prefix)."""
    return any(m.group(1).endswith(("code", "prefix")) for m in STARTSWITH_LOOKUP.finditer(text))


def prefix_rule_offences(rel: str, source: str) -> list[str]:
    if rel == SCOPING_MODULE or rel in PREFIX_RULE_EXCEPTIONS:
        return []
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        # filter(region_code__startswith=…), Q(**{"code__startswith": …}), f"{field}__startswith"
        if isinstance(node, ast.keyword) and node.arg and _lookup_on_code(node.arg):
            found.append(f"{rel}:{node.value.lineno} lookup {node.arg}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _lookup_on_code(node.value):
            found.append(f"{rel}:{line} lookup {node.value!r}")
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{x}" for v in node.values)
            if re.search(r"\{x\}__startswith", text):
                found.append(f"{rel}:{line} lookup on a computed field {ast.unparse(node)}")
        # code.startswith(p), run.county_code.startswith(p), prefix.startswith(k)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "startswith"
              and CODE_WORD.search(ast.unparse(node.func.value) + " ".join(ast.unparse(a) for a in node.args))):
            found.append(f"{rel}:{line} {ast.unparse(node)}")
        # elder.region_code[:6] == facility.region_code[:6]
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            sliced = [s for s in sides if isinstance(s, ast.Subscript) and isinstance(s.slice, ast.Slice)
                      and CODE_WORD.search(ast.unparse(s.value))]
            if sliced and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                found.append(f"{rel}:{line} {ast.unparse(node)}")
    return found


# --- the tests ---------------------------------------------------------------------------------------


def test_core_imports_no_project_app():
    offences = [o for rel, src in _sources(["core"]) for o in layering_offences(rel, src)]
    assert not offences, "core is the framework layer and imports no app:\n" + "\n".join(offences)


def test_every_app_imports_only_the_apps_below_it():
    offences = [o for rel, src in _sources(APPS) for o in layering_offences(rel, src)]
    assert not offences, "imports against the layering (tests/test_architecture.py LAYERS):\n" + "\n".join(offences)


def test_the_layering_table_names_every_app_and_has_no_cycle():
    local = {label for label in settings.INSTALLED_APPS if (ROOT / label).is_dir()}
    assert local <= set(LAYERS), f"add {sorted(local - set(LAYERS))} to LAYERS"
    state: dict[str, str] = {}

    def visit(app: str, path: list[str]) -> None:
        if state.get(app) == "done":
            return
        assert state.get(app) != "open", f"cycle in LAYERS: {' → '.join([*path, app])}"
        state[app] = "open"
        for dep in LAYERS[app]:
            visit(dep, [*path, app])
        state[app] = "done"

    for app in LAYERS:
        visit(app, [])


def test_no_module_imports_another_apps_private_name():
    offences = [o for rel, src in _sources([*APPS, "bench", "config"]) for o in private_name_offences(rel, src)]
    assert not offences, "\n".join(offences)


def test_the_prefix_rule_is_written_only_in_the_scoping_module():
    offences = [o for rel, src in _sources([*APPS, "bench", "config"]) for o in prefix_rule_offences(rel, src)]
    assert not offences, (
        f"compare division codes by prefix only through {SCOPING_MODULE} (visible_to, in_area, code_under, "
        "code_under_q, code_within, prefix_q …):\n" + "\n".join(offences)
    )


def test_every_exception_names_an_existing_file_and_a_reason():
    for rel, reason in [*PREFIX_RULE_EXCEPTIONS.items(), *PRIVATE_NAME_EXCEPTIONS.items()]:
        assert (ROOT / rel).is_file() and reason.strip(), rel


# --- the checkers can fail -----------------------------------------------------------------------------


@pytest.mark.parametrize("rel, source", [
    ("core/x.py", "from regions.models import Region\n"),
    ("core/x.py", "def f():\n    from audit import services\n"),
    ("audit/x.py", "from regions.scoping import visible_to\n"),
    ("registry/x.py", "from eligibility.models import Enrolment\n"),
    ("imports/x.py", "import payouts.models\n"),
])
def test_the_layering_checker_catches_an_import_against_the_table(rel, source):
    assert layering_offences(rel, source)


def test_the_public_module_checker_catches_a_reach_around(monkeypatch):
    monkeypatch.setitem(THROUGH_PUBLIC_MODULE, ("payouts", "eligibility"), "eligibility.public")
    assert layering_offences("payouts/x.py", "from eligibility.policy.catalogue import applicable_rules\n")
    assert layering_offences("payouts/x.py", "from eligibility import models\n")
    assert not layering_offences("payouts/x.py", "from eligibility.public import payable_enrolments\n")
    assert not layering_offences("payouts/x.py", "from eligibility import public\n")


@pytest.mark.parametrize("source", [
    "from eligibility.importers import _existing\n",
    "from eligibility.importers._parsing import rows\n",
    "def f():\n    from eligibility.policy.sweep import _sweep_county\n",
])
def test_the_private_name_checker_catches_another_apps_underscore_name(source):
    assert private_name_offences("assessments/x.py", source)
    assert not private_name_offences("eligibility/x.py", source)  # an app's own private names are its own


@pytest.mark.parametrize("source", [
    "Elder.objects.filter(region_code__startswith=p)\n",
    "Enrolment.objects.filter(elder__region_code__startswith=p)\n",
    "q = Q(county_code__startswith=p)\n",
    "Region.objects.filter(code__startswith='610403')\n",
    "qs.filter(**{'jurisdiction_prefix__startswith': p})\n",
    "qs.filter(**{f'{field}__startswith': p})\n",
    "ok = any(code.startswith(p) for p in prefixes)\n",
    "ok = run.county_code.startswith(prefix)\n",
    "same = elder.region_code[:6] == facility.region_code[:6]\n",
])
def test_the_prefix_rule_checker_catches_a_rewrite(source):
    assert prefix_rule_offences("visits/x.py", source)
    assert not prefix_rule_offences(SCOPING_MODULE, source)


@pytest.mark.parametrize("source", [
    "Permission.objects.filter(codename__startswith='approve_')\n",
    "Elder.objects.filter(id_number__startswith=ID_PREFIX)\n",
    "if phone.startswith('1'): pass\n",
    "if key.startswith('age'): pass\n",
])
def test_the_prefix_rule_checker_leaves_other_prefixes_alone(source):
    assert not prefix_rule_offences("visits/x.py", source)
