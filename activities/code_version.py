"""The code version stamped on every archived history: which process rules ran the case.

The package version plus a digest of the deterministic code (workflows, rules, models and the
holiday data), so two deployments with the same version string but different rules differ.
"""

from __future__ import annotations

import functools
import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONED = ("workflows", "rules", "models")


@functools.cache
def code_version() -> str:
    try:
        package = version("hotline12345")
    except PackageNotFoundError:
        package = "0+unknown"
    digest = hashlib.sha256()
    for folder in VERSIONED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in {".py", ".yml"} and path.is_file():
                digest.update(path.relative_to(ROOT).as_posix().encode())
                digest.update(b"\0")
                digest.update(path.read_bytes())
    return f"{package}+{digest.hexdigest()[:12]}"
