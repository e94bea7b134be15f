"""Fixtures of the auditor's non-browser tests: the tamper-evidence databases of tests/audit
(a migrated SQLite file and a PostgreSQL schema of their own) and their chain writers."""

from __future__ import annotations

from tests.audit.conftest import (  # noqa: F401  (fixtures shared with tests/audit)
    audit_database_url,
    audit_postgres_url,
    sessions,
)
