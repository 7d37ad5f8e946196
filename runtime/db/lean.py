"""Lean PostgreSQL units: one-statement units sent straight on asyncpg connections.

Through SQLAlchemy's async layer a one-statement unit costs ~400 µs of CPU here (the pool's
checkout and return, the execution context, the driver adapter's cursor), against ~100 µs for
the same compiled statement sent on the driver. A lean unit is an ordinary unit (a plain
function of a connection, as for `Database.write`): it runs in a greenlet, as SQLAlchemy's
`run_sync` does, on a `LeanConnection`, which sends each Core statement compiled once by
SQLAlchemy's asyncpg dialect, with that dialect's bind and result processors and JSON codecs,
on a connection of this module's own small pool, outside any transaction.

What a lean unit may use of its connection: `execute(statement, params)` (a dict, or a list of
dicts for an executemany), `dialect`, and of the result `first()`, `scalar()`, `all()`,
iteration and `rowcount`; rows are named tuples. A statement with expanding (`IN` list)
parameters has its SQL rendered per call by SQLAlchemy (`construct_expanded_state`).
"""

from __future__ import annotations

import asyncio
import collections
import functools
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, cast

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import await_only, greenlet_spawn  # await_only: also in 2.0

from runtime import errors
from runtime.db.errors import LOST

T = TypeVar("T")
STATEMENTS = 512  # compiled statements kept (units use module-level statements)
IDLE_CLOSE = 300.0  # seconds an unused connection stays open
_UNSET = object()
_REFUSED = (  # a connection the server cannot take now
    OSError,  # refused, unreachable, timed out
    asyncpg.TooManyConnectionsError,  # max_connections, or the role's connection limit
    asyncpg.CannotConnectNowError,  # starting up or shutting down
)
_DRIVER_ERRORS = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # also what a connection the server ended can raise
)
Key = tuple[int, tuple[str, ...], bool]  # a statement's id, its parameter names, executemany


class Prepared:
    """A statement compiled for asyncpg: its SQL, how to bind its parameters, its row type."""

    __slots__ = ("binds", "compiled", "dml", "processors", "row", "sql")

    def __init__(
        self, statement: ClauseElement, dialect: Dialect, keys: list[str], *, many: bool
    ) -> None:
        # as SQLAlchemy compiles for execution: an INSERT or UPDATE sets the columns given
        compiled = cast(
            SQLCompiler,
            statement.compile(dialect=dialect, column_keys=keys, for_executemany=many),
        )
        self.sql: str = compiled.string
        # expanding (IN lists) or escaped parameters: SQLAlchemy renders each call's SQL
        late = compiled.post_compile_params or compiled.literal_execute_params
        self.compiled = compiled if late or compiled.escaped_bind_names else None
        named = {name: bind for bind, name in compiled.bind_names.items()}
        processors = compiled._bind_processors  # what SQLAlchemy applies itself
        # (key, processor, default value, or a function giving it)
        self.binds: list[tuple[str, Callable[[Any], Any] | None, Any, Callable[[], Any] | None]]
        self.binds = []
        # columns whose Python-side defaults SQLAlchemy fills in before it sends the statement
        prefetch: dict[str, Any] = {c.key: c.default for c in compiled.insert_prefetch}
        prefetch |= {c.key: c.onupdate for c in compiled.update_prefetch}
        for name in compiled.positiontup or () if self.compiled is None else ():
            bind = named[name]
            default = _UNSET if bind.required else bind.value
            give = bind.callable
            if bind.key in prefetch:  # a scalar, or a function of the execution context
                value = prefetch[bind.key].arg
                default, give = (
                    (None, functools.partial(value, None)) if callable(value) else (value, None)
                )
            process = cast(Callable[[Any], Any] | None, processors.get(name))
            self.binds.append((bind.key, process, default, give))
        columns = compiled._result_columns
        self.row: Callable[..., tuple[Any, ...]] | None = None
        self.processors: list[Callable[[Any], Any] | None] = []
        if columns:
            names = [column.keyname for column in columns]
            self.row = collections.namedtuple("Row", names, rename=True)  # type: ignore[misc]
            self.processors = [
                column.type._cached_result_processor(dialect, None) for column in columns
            ]
        self.dml = bool(compiled.isupdate or compiled.isinsert or compiled.isdelete)

    def bound(self, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL and its positional arguments for `params` (values by parameter key)."""
        if self.compiled is not None:
            state = self.compiled.construct_expanded_state(dict(params))
            processors = state.processors
            values = zip(state.positiontup or (), state.positional_parameters, strict=True)
            return state.statement, [
                processors[key](value) if key in processors else value for key, value in values
            ]
        out = []
        for key, process, default, give in self.binds:
            value = params.get(key, _UNSET)
            if value is _UNSET:
                value = give() if give is not None else default
                if value is _UNSET:
                    raise TypeError(f"a value is required for parameter {key!r}")
            out.append(process(value) if process is not None else value)
        return self.sql, out

    def rows(self, records: Sequence[Any]) -> list[Any]:
        """Rows of the statement's result, through SQLAlchemy's result processors."""
        if self.row is None:
            return list(records)
        make, processors = self.row, self.processors
        if not any(processors):
            return [make(*record) for record in records]
        return [
            make(*(p(v) if p is not None else v for p, v in zip(processors, r, strict=True)))
            for r in records
        ]


class LeanResult:
    """What `LeanConnection.execute` answers: the rows (all fetched) and the row count."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def all(self) -> list[Any]:
        return list(self._rows)


class Statements:
    """Statements compiled once per statement object and parameter names (bounded).

    Units keep their statements at module level; a statement built anew on every call is
    compiled on every call.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        # by id(): the statement is kept with its compiled form, so its id is not reused
        self._compiled: collections.OrderedDict[Key, tuple[ClauseElement, Prepared]] = (
            collections.OrderedDict()
        )

    def get(self, statement: ClauseElement, params: Mapping[str, Any], *, many: bool) -> Prepared:
        keys = sorted(params)
        key = (id(statement), tuple(keys), many)
        found = self._compiled.get(key)
        if found is not None:
            return found[1]
        prepared = Prepared(statement, self.dialect, keys, many=many)
        self._compiled[key] = (statement, prepared)
        if len(self._compiled) > STATEMENTS:
            self._compiled.popitem(last=False)
        return prepared


class LeanConnection:
    """The part of a Core connection a lean unit uses, on one asyncpg connection."""

    def __init__(self, driver: asyncpg.Connection, statements: Statements) -> None:
        self._driver = driver
        self._statements = statements
        self.dialect = statements.dialect

    def execute(self, statement: ClauseElement, parameters: Any = None) -> LeanResult:
        if isinstance(parameters, list):
            prepared = self._statements.get(statement, parameters[0], many=len(parameters) > 1)
            bound = [prepared.bound(p) for p in parameters]
            await_only(self._driver.executemany(bound[0][0], [args for _, args in bound]))
            return LeanResult([], len(parameters))
        params = parameters or {}
        prepared = self._statements.get(statement, params, many=False)
        sql, arguments = prepared.bound(params)
        if prepared.dml and prepared.row is None:
            status = await_only(self._driver.execute(sql, *arguments))
            return LeanResult([], _count(status))
        records = await_only(self._driver.fetch(sql, *arguments))
        return LeanResult(prepared.rows(records), len(records))


def _count(status: str) -> int:
    """The row count of a command status such as `UPDATE 1` or `INSERT 0 3`."""
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else -1


class LeanPool:
    """A few asyncpg connections for lean units: newest used first, checked after idling.

    A connection idle for more than `ping_idle` seconds is checked before use (one round trip);
    one idle for `idle_close` seconds is closed, also at the bottom of the stack, where the
    newest-first order would leave it untouched; a closed or broken one is dropped when handed
    back.
    """

    def __init__(
        self, url: str, dialect: Any, *, size: int, ping_idle: float, idle_close: float = IDLE_CLOSE
    ) -> None:
        _, self._connect = dialect.create_connect_args(make_url(url))
        for adapter_only in ("prepared_statement_cache_size", "prepared_statement_name_func"):
            self._connect.pop(adapter_only, None)
        self._dialect = dialect
        self.statements = Statements(dialect)
        self._ping_idle = ping_idle
        self._idle_close = idle_close
        self._idle: list[tuple[asyncpg.Connection, float]] = []
        self._slots: asyncio.Semaphore | None = None
        self._size = size
        self._closed = False

    async def run(self, unit: Callable[[Any], T]) -> T:
        """`unit` run on a pooled connection (not in a transaction); its result."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._size)
        async with self._slots:
            driver = await self._take()
            try:
                return await greenlet_spawn(unit, LeanConnection(driver, self.statements))
            except _DRIVER_ERRORS as exc:
                if driver.is_closed():  # whatever the driver said: the connection is gone
                    raise errors.UnavailableError(LOST) from exc
                raise
            finally:
                self._give_back(driver)

    @property
    def idle(self) -> int:
        """Connections open and waiting for a unit."""
        return len(self._idle)

    async def _take(self) -> asyncpg.Connection:
        now = time.monotonic()
        while self._idle and now - self._idle[0][1] > self._idle_close:
            self._idle.pop(0)[0].terminate()  # the oldest first: unused since a busier time
        while self._idle:
            driver, since = self._idle.pop()
            if driver.is_closed():
                continue
            if now - since > self._ping_idle:
                try:
                    await driver.execute("SELECT 1")
                except _DRIVER_ERRORS:  # a connection the server ended
                    driver.terminate()
                    continue
                except BaseException:  # cancelled while checking: not left open, nor lost
                    driver.terminate()
                    raise
            return driver
        try:
            driver = await asyncpg.connect(**self._connect)
        except _REFUSED as exc:  # unreachable, timed out, or the server takes no one now
            raise errors.UnavailableError(f"the database cannot be reached: {exc}") from exc
        wrapped = _Adapted(driver)  # the dialect's own JSON codecs, as its connections have
        try:
            await self._dialect.setup_asyncpg_json_codec(wrapped)
            await self._dialect.setup_asyncpg_jsonb_codec(wrapped)
        except BaseException:  # failed or cancelled: the new connection is not left open
            driver.terminate()
            raise
        return driver

    def _give_back(self, driver: asyncpg.Connection) -> None:
        if self._closed or driver.is_closed() or driver.is_in_transaction():
            driver.terminate()
            return
        self._idle.append((driver, time.monotonic()))

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for driver, _ in idle:
            try:
                await asyncio.wait_for(driver.close(), 2.0)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                driver.terminate()


class _Adapted:
    """What the dialect's codec set-up reads of an adapted connection: the driver's."""

    def __init__(self, driver: asyncpg.Connection) -> None:
        self._connection = driver
