"""The registry / policy-engine split keeps one import direction (docs/architecture.md, Layering):
the registry imports no other domain app, and other apps reach either through its public module."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOMAIN_APPS = {"eligibility", "assessments", "facilities", "visits", "payouts", "dashboard"}
APPS = ["regions", "audit", "imports", "registry", "eligibility", *sorted(DOMAIN_APPS - {"eligibility"}), "core"]


def _imports(app: str):
    """(file, imported module, imported names) for every absolute import in an app's code."""
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield path.relative_to(ROOT), node.module, [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield path.relative_to(ROOT), alias.name, []


def test_the_registry_imports_no_other_domain_app():
    offenders = [f"{path}: {module}" for path, module, _ in _imports("registry") if module.split(".")[0] in DOMAIN_APPS]
    assert not offenders


def test_other_apps_use_the_registry_and_the_policy_engine_through_their_public_modules():
    offenders = [
        f"{path}: {module}"
        for app in APPS
        for path, module, names in _imports(app)
        if module.split(".")[0] in {"registry", "eligibility"} - {app}
        and not (module in {"registry.public", "eligibility.public"} or (module in {"registry", "eligibility"} and names == ["public"]))
    ]
    assert not offenders


def test_no_module_imports_another_apps_underscore_name():
    offenders = [
        f"{path}: {module}.{name}"
        for app in APPS
        for path, module, names in _imports(app)
        if module.split(".")[0] in APPS and module.split(".")[0] != app
        for name in names
        if name.startswith("_")
    ]
    assert not offenders
