"""The schema revision this code needs, and bringing a database up to it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shoplink.workflows.errors import SchemaOutdated

# The newest migration in workflows/migrations/versions; a test keeps the two equal.
HEAD_REVISION = "0010"
MIGRATIONS = Path(__file__).parent / "migrations"


def current_revision(engine: Engine) -> str | None:
    """A read: on SQLite it takes no write lock (every command and /healthz asks).

    One query when the schema exists (every command's start pays for it); only when it
    fails is the catalogue asked whether the table is missing (an empty database)."""
    from shoplink.workflows.db import READ_ONLY

    with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
        try:
            return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        except sa.exc.DBAPIError:
            connection.rollback()  # PostgreSQL: the failed statement ended the transaction
            if sa.inspect(connection).has_table("alembic_version"):
                raise
            return None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to the newest schema; returns the revisions before and after."""
    from alembic import command
    from alembic.config import Config

    before = current_revision(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, current_revision(engine) or ""


def outdated(engine: Engine) -> SchemaOutdated | None:
    """The error to give when the database is not at the schema this code needs."""
    revision = current_revision(engine)
    if revision == HEAD_REVISION:
        return None
    return SchemaOutdated(
        f"the database schema is at {revision or 'no revision'}, this shoplink needs "
        f"{HEAD_REVISION}: run `shoplink db upgrade`"
    )


def ensure_current(engine: Engine) -> None:
    """SQLite upgrades itself; a server database must be upgraded on purpose."""
    problem = outdated(engine)
    if problem is None:
        return
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    raise problem
