"""The layering of docs/architecture.md holds: `lint-imports` checks the contracts of
pyproject.toml over every package, and a copy of the code with one bad import fails them.

The second test keeps the first honest: if the contracts stopped covering a package (a
root package dropped, a layer renamed), a deliberately wrong import would pass unnoticed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"


def root_packages() -> list[str]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    packages: list[str] = config["tool"]["importlinter"]["root_packages"]
    return packages


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` of this environment over the packages under `cwd` (no cache)."""
    executable = Path(sys.executable).with_name("lint-imports")
    found = str(executable) if executable.is_file() else shutil.which("lint-imports")
    assert found, "lint-imports is missing: install the dev extras (import-linter)"
    return subprocess.run(
        [found, "--config", str(cwd / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_top_level_package_is_under_contract() -> None:
    on_disk = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert set(root_packages()) == on_disk


def test_the_packages_keep_their_layers() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, f"an import breaks the layering:\n{result.stdout}"
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("models/enums.py", "import api.app", "Layers"),
        ("workers/composition.py", "import api.server", "Layers"),
        ("knowledge/usage.py", "import evaluation.facts", "Layers"),
        ("rules/dispatch.py", "import sqlalchemy", "Rules are pure"),
    ],
)
def test_a_bad_import_is_caught(
    tmp_path: Path, module: str, bad_import: str, contract: str
) -> None:
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    for package in root_packages():
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    target = tmp_path / module
    target.write_text(
        target.read_text(encoding="utf-8") + f"\n{bad_import}  # noqa\n", encoding="utf-8"
    )
    importer = module.removesuffix(".py").replace("/", ".")
    result = lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout, result.stdout
    assert importer in result.stdout, result.stdout
