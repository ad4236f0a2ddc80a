"""Core statements run on the driver's own cursor: the statements people wait on.

SQLAlchemy's execution around one statement (its execution context, its result object,
its bookkeeping) costs several times what SQLite spends running it: about 0.16 M
instructions a statement, against 0.02 M for a primary key read on the driver
(docs/performance.md). A link's commands run a dozen statements, the token check runs
before every API request. These are still SQLAlchemy Core statements, compiled by
SQLAlchemy once per dialect (and, for an INSERT, per set of columns given); parameters
and columns go through their types' processors as in SQLAlchemy's own execution; driver
errors are raised as SQLAlchemy's (an IntegrityError is still one); and the engine's
`before_cursor_execute` and `after_cursor_execute` listeners still hear every statement
(the tests count statements so, the debug timing times them). They run in whatever
transaction the connection is in.

Not supported, so statements that need them stay on SQLAlchemy's execution: IN lists
expanded per execution, and Python-side column defaults (refused when first run).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

Statement = sa.Select[Any] | sa.CompoundSelect | sa.Insert | sa.Update | sa.TextClause
# Where a statement runs: a connection, or a session's (which begins its transaction).
On = sa.Connection | Session


class DriverStatement:
    """One Core SELECT, INSERT or UPDATE, run on a connection's driver cursor."""

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...] | None], _Plan] = {}

    def all(self, on: On, params: Mapping[str, Any]) -> list[Any]:
        """Run once; the rows it returns (none for a write without RETURNING)."""
        return self._once(on, params, fetch=True)

    def first(self, on: On, params: Mapping[str, Any]) -> Any | None:
        """The first row or None (every row is read: for a statement of one row or none)."""
        rows = self.all(on, params)
        return rows[0] if rows else None

    def scalar(self, on: On, params: Mapping[str, Any]) -> Any:
        row = self.first(on, params)
        return None if row is None else row[0]

    def execute(self, on: On, params: Mapping[str, Any]) -> None:
        """Run once without reading what it returns: in a `pipelined` block, it is sent
        with the block's other statements, not on its own."""
        self._once(on, params, fetch=False)

    def many(self, on: On, rows: Iterable[Mapping[str, Any]]) -> None:
        """Run once per row in one driver call (executemany); every row has the same keys."""
        given = list(rows)
        if given:
            connection = _connection(on)
            plan = self._plan(connection.dialect, given[0])
            self._run(connection, plan, [plan.values(row) for row in given], many=True)

    def _once(self, on: On, params: Mapping[str, Any], *, fetch: bool) -> list[Any]:
        connection = _connection(on)
        plan = self._plan(connection.dialect, params)
        return self._run(connection, plan, plan.values(params), many=False, fetch=fetch)

    def _plan(self, dialect: sa.Dialect, params: Mapping[str, Any]) -> _Plan:
        # An INSERT is compiled for the columns given, as SQLAlchemy's execution does.
        keys = tuple(params) if isinstance(self.statement, sa.Insert) else None
        plan = self._plans.get((dialect.name, keys))
        if plan is None:
            plan = self._plans[(dialect.name, keys)] = _Plan(self.statement, dialect, keys)
        return plan

    def _run(self, connection: sa.Connection, plan: _Plan, values: Any, *,
             many: bool, fetch: bool = True) -> list[Any]:
        dialect, dispatch = connection.dialect, connection.dispatch
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            for listener in dispatch.before_cursor_execute:  # tests, the debug timing
                listener(connection, cursor, plan.sql, values, None, many)
            try:
                if many:
                    cursor.executemany(plan.sql, values)
                else:
                    cursor.execute(plan.sql, values)
                found = cursor.fetchall() if fetch and plan.make_row is not None else []
            except dialect.loaded_dbapi.Error as error:
                raise _translated(dialect, error, plan.sql, values) from error
            for listener in dispatch.after_cursor_execute:
                listener(connection, cursor, plan.sql, values, None, many)
        finally:
            cursor.close()
        make, processors = plan.make_row, plan.from_driver
        if make is None or not fetch:
            return []
        return [make(*(convert(value) if convert else value
                       for convert, value in zip(processors, row, strict=True)))
                for row in found]


class _Plan:
    """A statement compiled for one dialect: its SQL, how each parameter and each column
    converts, and the row type."""

    __slots__ = ("sql", "order", "to_driver", "fixed", "from_driver", "make_row")

    def __init__(self, statement: Statement, dialect: sa.Dialect,
                 keys: tuple[str, ...] | None) -> None:
        # As for executemany: no RETURNING of a new row's id unless the statement asks
        # for it with `.returning()` (PostgreSQL's compiler adds it otherwise).
        compiled: Any = statement.compile(dialect=dialect, for_executemany=True,
                                          column_keys=list(keys) if keys else None)
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("a statement with Python-side column defaults needs "
                             "SQLAlchemy's execution: give every column its value")
        if compiled.post_compile_params:
            raise ValueError("an IN list expanded at each execution needs SQLAlchemy's "
                             "execution: write the values into the SQL (lookup.states_in)")
        self.sql = str(compiled)
        self.order = compiled.positiontup if dialect.positional else None
        binds = compiled.bind_names  # each parameter under the name in the SQL
        self.to_driver = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                          for bind, name in binds.items()}
        # Values the statement was built with (link_rows' `sa.literal(i)` history positions).
        self.fixed = {name: bind.effective_value for bind, name in binds.items()
                      if not bind.required}
        columns = compiled._result_columns  # one (key, name, objects, type) per column
        self.from_driver = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                            for column in columns]
        self.make_row = _row_type(tuple(c.keyname for c in columns)) if columns else None

    def values(self, params: Mapping[str, Any]) -> Any:
        """The driver's parameters: named (PostgreSQL's psycopg) or in order (SQLite)."""
        converted = {}
        for name, convert in self.to_driver.items():
            value = params[name] if name in params else self.fixed[name]
            converted[name] = convert(value) if convert else value
        return converted if self.order is None else [converted[n] for n in self.order]


# Called with the connection and the seconds a `pipelined` block's end waited for the
# server (the debug timing, api/timing.py: the block's statements took no time as sent).
PIPELINE_LISTENERS: list[Callable[[sa.Connection, float], None]] = []


@contextlib.contextmanager
def pipelined(on: On) -> Iterator[None]:
    """PostgreSQL: the block's statements go to the server together, in one round trip
    with the block's end (psycopg's pipeline mode), instead of one round trip each.

    For statements whose results nobody reads (`DriverStatement.execute`): a write, a lock.
    A driver read inside still works but waits for its result. A statement on SQLAlchemy's
    execution inside is refused (`refuse_in_pipeline`): it would read its result before
    the server sent it. An error of any statement is raised when the block ends. Nested
    blocks are one block. SQLite runs each statement as it comes, as outside.
    """
    connection = _connection(on)
    dialect = connection.dialect
    driver: Any = connection.connection.driver_connection
    if dialect.name != "postgresql" or in_pipeline(driver):
        yield
        return
    try:
        with driver.pipeline():
            yield
            start = time.perf_counter()  # the block's end: Sync, then every answer
    except dialect.loaded_dbapi.Error as error:
        raise _translated(dialect, error, "(a pipelined block)", None) from error
    for listener in PIPELINE_LISTENERS:
        listener(connection, time.perf_counter() - start)


def refuse_in_pipeline(_connection: sa.Connection, cursor: Any, statement: str,
                       _parameters: Any, context: Any, _many: bool) -> None:
    """`before_cursor_execute` of PostgreSQL engines: SQLAlchemy's execution (it has an
    execution context; the driver's statements have none) reads a result as soon as it sends
    a statement, and in a `pipelined` block the server has not answered yet."""
    if context is not None and in_pipeline(cursor.connection):
        raise RuntimeError(f"SQLAlchemy's execution inside a pipelined block: {statement[:60]}")


def in_pipeline(driver: Any) -> bool:
    """Whether a PostgreSQL driver connection is in pipeline mode (sqlite3 never is)."""
    pgconn = getattr(driver, "pgconn", None)
    return pgconn is not None and bool(pgconn.pipeline_status)


def _translated(dialect: sa.Dialect, error: Exception, sql: str, values: Any) -> Exception:
    """As SQLAlchemy's execution raises it: an IntegrityError stays one, an older schema's
    missing table is still an OperationalError (503 upstream)."""
    return sa.exc.DBAPIError.instance(sql, values, error, dialect.loaded_dbapi.Error,
                                      dialect=dialect)


def _connection(on: On) -> sa.Connection:
    return on.connection() if isinstance(on, Session) else on


@functools.cache
def _row_type(names: tuple[str, ...]) -> Any:
    """A named tuple with `_mapping`, like SQLAlchemy's rows, for the columns `names`."""

    class Row(collections.namedtuple("Row", names)):  # type: ignore[misc]
        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(names, self, strict=True))

    return Row


@functools.cache
def driven(statement: Statement) -> DriverStatement:
    """The statement's runner, made once: the statements themselves are built once."""
    return DriverStatement(statement)
