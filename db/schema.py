"""Every table on one metadata: what the migrations and the schema tests compare against.

The case tables live in `db.tables`; calls, evaluation, knowledge base and search in their own
modules, which build on `db.tables` (never the other way round). Importing this module puts all of
them on `Base.metadata`.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from db import (
    call_tables,
    console_list_tables,
    evaluation_tables,
    knowledge_tables,
    search_tables,
    tables,
)

TABLE_MODULES = (
    tables,
    call_tables,
    evaluation_tables,
    knowledge_tables,
    search_tables,
    console_list_tables,
)

metadata: MetaData = tables.Base.metadata
