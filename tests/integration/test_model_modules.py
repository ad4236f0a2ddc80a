"""The tables are declared in several modules, so a command declares only those it uses;
together they must still be every table the migrations create, and each one must still
be importable from workflows.models by its name."""

from __future__ import annotations

import json
import subprocess
import sys

import sqlalchemy as sa

from shoplink.workflows import models


def test_declare_all_declares_every_table_the_migrations_create(engine):
    models.declare_all()
    migrated = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    assert set(models.Base.metadata.tables) == migrated


def test_every_table_class_is_importable_from_models_by_its_name():
    for name, module in models.DECLARED_ELSEWHERE.items():
        declared = getattr(models, name)
        assert declared.__module__ == f"shoplink.workflows.{module}"
        assert declared.__name__ == name


def test_importing_the_models_declares_only_the_link_tables():
    code = ("import json; import shoplink.workflows.models as m; "
            "print(json.dumps(sorted(m.Base.metadata.tables)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert json.loads(done.stdout) == ["accounts", "link_events", "links", "outbox_consumers",
                                       "outbox_events", "shops"]
