"""Run the Alembic migrations from Python (CLI, tests, dev-stack launcher): `upgrade(url)`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from db.engine import database_url, normalise_url

INI_PATH = Path(__file__).resolve().with_name("alembic.ini")


def alembic_config(url: str | None = None) -> Config:
    """The packaged Alembic config, pointed at `url` (default: `database_url()`)."""
    config = Config(str(INI_PATH))
    config.set_main_option("script_location", str(INI_PATH.parent))
    resolved = normalise_url(url) if url is not None else database_url()
    # ConfigParser interpolates '%': escape it (percent-encoded passwords).
    config.set_main_option("sqlalchemy.url", resolved.replace("%", "%%"))
    # Leave the application's logging configuration alone.
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """`alembic upgrade head` on `url` (default: `database_url()`)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None, revision: str) -> None:
    """`alembic downgrade <revision>` on `url`; `"base"` drops every table of the schema."""
    command.downgrade(alembic_config(url), revision)
