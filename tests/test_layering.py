"""DESIGN.md's dependency table, enforced by reading every import (ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = {"tracker", "weather", "correlation", "web", "jobs", "cli", "migrations"}

#: package -> project packages it may import (DESIGN.md "Layout and dependency direction").
ALLOWED = {
    "correlation": set(),
    "weather": set(),
    "tracker": {"weather", "correlation"},
    "jobs": {"tracker", "weather"},
    "web": {"tracker", "weather", "correlation"},
}
#: Third-party modules a package must never load (the method stays pure; jobs run without Flask).
FORBIDDEN_THIRD_PARTY = {
    "correlation": {"sqlalchemy", "flask", "requests", "alembic", "apscheduler", "altair"},
    "weather": {"flask", "apscheduler", "altair"},
    "tracker": {"flask", "apscheduler", "altair", "requests"},
    "jobs": {"flask", "flask_login", "flask_wtf", "altair"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_follow_the_table(package):
    bad = []
    for path in _files(package):
        for name in _imports(path):
            if name in PROJECT and name != package and name not in ALLOWED[package]:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
            if name in FORBIDDEN_THIRD_PARTY.get(package, set()):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_every_package_has_files():
    for package in ALLOWED:
        assert _files(package), package


def test_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("import os\nfrom web.views import thing\nimport flask.json\n")
    assert _imports(bad) == {"os", "web", "flask"}


#: Modules stay short enough to read (issue 11): tests and migrations are exempt.
MAX_MODULE_LINES = 400


@pytest.mark.parametrize("package", sorted(PROJECT - {"migrations"}))
def test_modules_stay_under_the_size_limit(package):
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / package).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}, f"split these modules along their seams: {long}"


def test_tracker_keeps_its_three_subpackages():
    """diary/, accounts/, reports/ (issue 11, item 3) and no flat module of theirs returns."""
    for sub in ("diary", "accounts", "reports"):
        assert (ROOT / "tracker" / sub / "__init__.py").exists()
    for old in ("diary", "accounts", "report", "sharing", "snapshots", "profile"):
        assert not (ROOT / "tracker" / f"{old}.py").exists()
