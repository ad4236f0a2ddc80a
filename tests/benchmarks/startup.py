"""7. Start-up: wall time of whole commands, against the imports they cannot avoid.

`shoplink --help` should cost little more than `python -c "import click"` (nothing
heavy imported); `shoplink marketing SHOP` on a small database is compared with
`python -c "import click, sqlalchemy.orm"`, the least a database command must load.
Runs alternate between the commands; the median of each is reported. Two reference rows
say what no shoplink change can remove: the backend's dialect and driver, and how much of
the baseline is the interpreter's garbage collection while importing and at exit, which
`shoplink` skips.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from tests.benchmarks.harness import Context, Row, median
from tests.benchmarks.lateness import shoplink
from tests.benchmarks.seed import load_links

HELP_TARGET, COMMAND_TARGET = 1.3, 1.2
# As installed: pip writes .pyc files, and the untimed warm-up run writes the rest (an
# environment that forbids them would measure compiling the sources on every run).
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          env=ENVIRONMENT)
    spent = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-500:]}")
    return spent


def run(ctx: Context) -> None:
    url = ctx.databases.fresh("startup")
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    load_links(engine, due=2, future=4, shop_count=1)
    engine.dispose()
    driver = ("psycopg, sqlalchemy.dialects.postgresql" if ctx.backend == "postgresql"
              else "sqlite3, sqlalchemy.dialects.sqlite")
    commands = {
        "click": [sys.executable, "-c", "import click"],
        "help": [*shoplink(), "--help"],
        "orm": [sys.executable, "-c", "import click, sqlalchemy.orm"],
        "marketing": [*shoplink(), "--db", url, "marketing", "Shop 1"],
        # References: the backend's dialect and driver, which any database command loads,
        # and the baseline with no garbage collection while it imports nor at exit, as
        # `shoplink` runs until it opens its database.
        "driver": [sys.executable, "-c", f"import click, sqlalchemy.orm, {driver}"],
        "paused": [sys.executable, "-c",
                   "import gc; gc.disable(); import click, sqlalchemy.orm; gc.freeze()"],
    }
    for command in commands.values():  # warm the file cache and the .pyc files, untimed
        wall(command)
    spent: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(ctx.sizes.startup_runs):
        for name, command in commands.items():
            spent[name].append(wall(command))
    ms = {name: median(values) * 1000 for name, values in spent.items()}
    ctx.rows.append(Row.compare('start-up: `shoplink --help` vs `python -c "import click"`',
                                ctx.backend, ms["help"], ms["click"], "ms", most=HELP_TARGET))
    ctx.rows.append(Row.compare(
        'start-up: `shoplink marketing SHOP` vs `python -c "import click, sqlalchemy.orm"`',
        ctx.backend, ms["marketing"], ms["orm"], "ms", most=COMMAND_TARGET))
    ctx.rows.append(Row.compare(
        "reference: `import click, sqlalchemy.orm` and the backend's dialect and driver, "
        "vs without", ctx.backend, ms["driver"], ms["orm"], "ms"))
    ctx.rows.append(Row.compare(
        "what-if: `shoplink marketing SHOP` vs `import click, sqlalchemy.orm` with the "
        "collector paused too, while importing and at exit", ctx.backend, ms["marketing"],
        ms["paused"], "ms"))
