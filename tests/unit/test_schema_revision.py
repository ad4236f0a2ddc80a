"""The revision the code expects must be the newest migration shipped, or no command would run."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from shoplink.workflows.schema import HEAD_REVISION, MIGRATIONS


def test_the_code_expects_the_newest_migration():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert heads == [HEAD_REVISION]


def test_the_outbox_trigger_and_the_sweep_name_events_alike():
    import importlib.util

    from shoplink.workflows.outbox import OUTBOX_LOCK, OUTBOX_TYPES

    path = MIGRATIONS / "versions" / "0002_operations.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.OUTBOX_TYPES == OUTBOX_TYPES
    assert migration.OUTBOX_LOCK == OUTBOX_LOCK


def test_the_sqlite_trigger_rebuilt_by_0006_names_events_as_the_outbox_does():
    import importlib.util

    from shoplink.workflows.outbox import OUTBOX_LOCK, OUTBOX_TYPES

    path = MIGRATIONS / "versions" / "0006_showcase_events_idempotency.py"
    spec = importlib.util.spec_from_file_location("migration_0006", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration._outbox_types() == OUTBOX_TYPES
    assert migration.OUTBOX_LOCK == OUTBOX_LOCK
