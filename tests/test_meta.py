"""Meta-tests that keep the house rules honest (docs/contributing.md rule 10a)."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command

from core.admin import ScopedAdminMixin
from core.scoping import ScopedQuerySet

OUR_APPS = ["regions", "audit", "imports", "registry", "eligibility", "assessments", "facilities", "visits", "payouts", "dashboard"]
ROOT = Path(settings.BASE_DIR)


def _our_models():
    for label in OUR_APPS:
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical"):
                continue
            yield model


def test_every_model_with_region_code_uses_the_scoped_queryset():
    offenders = [
        m._meta.label
        for m in _our_models()
        if any(f.name == "region_code" for f in m._meta.get_fields())
        and not isinstance(m._default_manager.all(), ScopedQuerySet)
    ]
    assert not offenders, f"use ScopedQuerySet.as_manager() on {offenders}"


def test_every_scoped_model_in_the_admin_uses_the_scoped_admin():
    offenders = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OUR_APPS
        and isinstance(model._default_manager.all(), ScopedQuerySet)
        and not isinstance(model_admin, ScopedAdminMixin)
    ]
    assert not offenders, f"admin of {offenders} must use ScopedAdminMixin"


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)


def _commands():
    for label in OUR_APPS:
        folder = ROOT / label / "management" / "commands"
        for path in sorted(folder.glob("*.py")) if folder.exists() else []:
            if path.name != "__init__.py":
                yield path.stem


def _tasks():
    for label in OUR_APPS:
        path = ROOT / label / "tasks.py"
        if path.exists():
            yield from re.findall(r'@shared_task\(name="([^"]+)"', path.read_text())


def _test_sources() -> str:
    return "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py") if p.name != "test_meta.py")


def test_every_management_command_has_a_test():
    sources = _test_sources()
    missing = [c for c in _commands() if f'call_command("{c}"' not in sources and f"'{c}'" not in sources]
    assert not missing, f"no test calls these commands: {missing}"


def test_every_celery_task_has_a_test():
    sources = _test_sources()
    missing = [t for t in _tasks() if t not in sources]
    assert not missing, f"no test runs these tasks: {missing}"


def test_templates_load_nothing_from_the_internet():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        for match in re.finditer(r'(?:src|href)="(https?:)?//', path.read_text()):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not offenders, offenders


def test_rules_services_and_selectors_type_check():
    """mypy over the pure rules and the service/selector layers (docs/contributing.md rule 10a)."""
    import subprocess
    import sys

    targets = [
        str(p.relative_to(ROOT))
        for label in OUR_APPS
        for name in ("rules.py", "services.py", "selectors.py", "scoping.py")
        if (p := ROOT / label / name).exists()
    ] + [  # a layer split into a package by purpose (dashboard/selectors/home.py, statistics.py)
        str(p.relative_to(ROOT))
        for label in OUR_APPS
        for name in ("rules", "services", "selectors", "scoping")
        for p in sorted((ROOT / label / name).glob("*.py"))
    ]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", *targets],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_test_switches_celery_eager_without_restoring_it():
    """Celery's ``task_always_eager`` is process-wide: a test that sets it and does not put it back
    changes how every later test's tasks run. Tests switch it only through
    tests/celery_helpers.py ``tasks_eager`` (fixtures ``eager_tasks`` / ``queued_tasks``), which
    restores it (docs/contributing.md "Tests": "restore the setting afterwards")."""
    import ast

    allowed = ROOT / "tests" / "celery_helpers.py"
    eager_names = {"task_always_eager", "CELERY_TASK_ALWAYS_EAGER"}
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path == allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = [t for target in node.targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            hit = any(isinstance(t, ast.Attribute) and t.attr in eager_names for t in targets)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                func = node.func
                # app.conf.update(...) / setattr(app.conf, "task_always_eager", ...) / monkeypatch.setattr(...)
                hit |= func.attr == "update" and isinstance(func.value, ast.Attribute) and func.value.attr == "conf"
            if isinstance(node, ast.Call) and any(
                isinstance(a, ast.Constant) and a.value in eager_names for a in node.args
            ):
                hit = True
            if hit:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders


# The design notes that once lived beside the repository; every citation now points into docs/.
_OUTSIDE_NOTES = [name + ".md" for name in ("ARCHITECTURE", "DOMAIN", "QUALITY", "STYLE", "POLICY-" + "LISTS")]
_OUTSIDE_DIR = ".." + "/" + "shared"
_CHECKED_SUFFIXES = (".py", ".html", ".md", ".txt", ".ini", ".cfg")


def _tracked_text_files() -> list[Path]:
    import subprocess

    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
        ).stdout.split("\0")
        paths = [ROOT / name for name in listed if name]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (an unpacked release)
        paths = [p for p in ROOT.rglob("*") if not {".git", ".venv"} & set(p.relative_to(ROOT).parts)]
    return [p for p in paths if p.is_file() and (p.name == "Makefile" or p.suffix in _CHECKED_SUFFIXES)]


def test_no_file_cites_design_notes_outside_the_repository():
    """A reader of the repository alone must be able to open every file a comment cites (issue 16)."""
    offenders = []
    for path in _tracked_text_files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if _OUTSIDE_DIR in line or any(name in line for name in _OUTSIDE_NOTES):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not offenders, "cite docs/architecture.md, docs/domain.md or docs/contributing.md instead:\n" + "\n".join(offenders)
