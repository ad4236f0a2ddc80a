"""Alembic runs migrations on the connection shoplink hands it."""

from __future__ import annotations

from alembic import context

from shoplink.workflows.models import Base, declare_all

declare_all()  # autogenerate compares every table, not only those imported so far
connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
