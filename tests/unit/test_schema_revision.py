"""The revision the code expects must be the newest migration shipped, or no command would run."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from workflows.schema import HEAD_REVISION, MIGRATIONS


def test_the_code_expects_the_newest_migration():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert heads == [HEAD_REVISION]
