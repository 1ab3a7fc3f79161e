"""The event loop's way into the ORM: ``database_sync_to_async`` on a pool of worker threads.

Channels' own ``database_sync_to_async`` is thread-sensitive: outside an HTTP request every
call of a server process, from every socket, runs on ONE thread, one after the other. A message
then waits behind the database and Redis round trips of every frame ahead of it, and a process
handles at most 1 / (duration of one call) frames a second however idle its CPU is (measured in
docs/performance.md). Here calls run on a pool of ``DB_THREADS`` threads, each keeping its own
connection (``CONN_MAX_AGE``), so frames of different sockets overlap their waits. The frames of
one socket stay in order: the consumer awaits each one before it reads the next.

Use it exactly like Channels' helper: ``await database_sync_to_async(service)(user, ...)``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import connection, connections, router
from django.db.models import Model
from psycopg import RawCursor

logger = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    """The process's pool of database threads (made on first use, sized by ``DB_THREADS``)."""
    global _executor
    if _executor is None:
        with _lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(
                    max_workers=max(1, int(settings.DB_THREADS)), thread_name_prefix="db"
                )
    return _executor


class _PooledDatabaseSyncToAsync(DatabaseSyncToAsync):
    """Channels' wrapper (old connections closed around each call) on the pool; the pool is
    looked up at call time, so decorating at import time reads no settings."""

    def __init__(self, func):
        super().__init__(func, thread_sensitive=False)

    async def __call__(self, *args, **kwargs):
        if self._executor is None:
            self._executor = executor()
        return await super().__call__(*args, **kwargs)


def database_sync_to_async(func):
    """Run ``func`` (which may use the ORM) on a database thread; old connections are closed."""
    return _PooledDatabaseSyncToAsync(func)


class Placeholders:
    """The placeholders of one hand-written statement, handed out in the order of its
    parameters, and a cursor that takes them.

    On PostgreSQL they are its own numbered ``$1, $2, ...``, run by psycopg's raw cursor, which
    sends the statement as it is. psycopg parses every ``%s`` of a statement in Python and
    caches the result only for statements of at most 50 parameters: a ten-row INSERT cost 150
    µs of parsing on every run, 9 µs this way (docs/performance.md, item 33). While queries are
    logged (``DEBUG``, a test counting them) and on other databases, ``%s``: Django's query log
    writes a PostgreSQL statement out by substituting its ``%s``.
    """

    def __init__(self, connection):
        self.connection = connection
        self.numbered = connection.vendor == "postgresql" and not connection.queries_logged
        self.taken = 0

    def take(self, count: int) -> str:
        """``count`` placeholders, comma-separated: the next ``count`` parameters."""
        first, self.taken = self.taken + 1, self.taken + count
        if self.numbered:
            return ", ".join([f"${n}" for n in range(first, self.taken + 1)])
        return ", ".join(["%s"] * count)

    def cursor(self):
        if not self.numbered:
            return self.connection.cursor()
        self.connection.ensure_connection()
        with self.connection.wrap_database_errors:
            return self.connection.make_cursor(RawCursor(self.connection.connection))


def table(model: type[Model]) -> str:
    """``model``'s table, quoted for a hand-written statement on the default database."""
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    """The column of ``model``'s field ``name``, quoted as :func:`table` quotes."""
    return connection.ops.quote_name(model._meta.get_field(name).column)


# Rows per INSERT of :func:`insert_many` (far below SQLite's and PostgreSQL's parameter limits).
INSERT_CHUNK = 500


def insert_many(objs: Sequence[Model]) -> None:
    """Save new instances of one model with one multi-row ``INSERT ... RETURNING`` their ids.

    ``bulk_create`` for plain rows (no signals, ``auto_now_add`` filled in, ids set), on the path
    every socket send takes. On PostgreSQL ``bulk_create`` sends each column as an array, which
    psycopg turns into text in Python one element at a time: most of a send batch's CPU
    (docs/performance.md, item 25); here every value is a parameter of its own, which
    server-side binding hands to psycopg's C dumpers.
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if field is not meta.auto_field]
    columns = ", ".join(quote(field.column) for field in fields)
    for start in range(0, len(objs), INSERT_CHUNK):
        chunk = objs[start : start + INSERT_CHUNK]
        params = [
            field.get_db_prep_save(field.pre_save(obj, add=True), connection)
            for obj in chunk
            for field in fields
        ]
        marks = Placeholders(connection)
        rows = ", ".join([f"({marks.take(len(fields))})" for _ in chunk])
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {rows}"
            f" RETURNING {quote(meta.pk.column)}"
        )
        with marks.cursor() as cursor:
            cursor.execute(sql, params)
            ids = cursor.fetchall()
        for obj, (pk,) in zip(chunk, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias


class _Pending:
    """One event loop's share of a :class:`Batch`: what waits for the next call, whether one is
    scheduled, and the calls running."""

    __slots__ = ("loop", "items", "futures", "scheduled", "tasks")

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.items: list[tuple] = []
        self.futures: list[asyncio.Future | None] = []  # None: added without a waiter
        self.scheduled = False
        # The running calls and their item counts (the loop keeps tasks weakly).
        self.tasks: dict[asyncio.Task, int] = {}


class Batch:
    """Calls collected on one event loop and run as ONE database call, at most ``concurrency``
    calls at a time.

    ``fn(items)`` gets every item submitted meanwhile and returns one result per item, in
    order; each caller of :meth:`submit` gets its own (an exception instance is raised to that
    caller alone). A call starts ``window`` seconds after the first item of a batch, or, while
    ``concurrency`` calls run, as soon as one ends with everything that arrived meanwhile (a
    "group commit": with ``window=0`` an idle server runs each item at once, a busy one takes
    them in ever larger batches instead of queueing a thread hop and a transaction per item).
    For frames many sockets send all the time: messages, delivery receipts.

    With ``concurrency`` 2 an item that arrives while a call of ONE item runs starts at once in
    a second call instead of waiting for the first to end (docs/performance.md, item 28): a
    lightly loaded process answers sooner. Beside a call of several items (a busy process)
    nothing more starts: there, one call at a time with everything that came meanwhile is what
    keeps up. Calls may finish out of order, which suits items independent of each other (each
    socket awaits its own item before it sends the next).
    """

    def __init__(self, fn, *, window: float = 0.02, concurrency: int = 1):
        self.fn = fn
        self.window = window
        self.concurrency = concurrency
        self._pending: dict[int, _Pending] = {}

    async def submit(self, *item):
        """Add ``item`` to the next call and return its result (raise its exception)."""
        future = asyncio.get_running_loop().create_future()
        self._queue(item, future)
        result = await future
        if isinstance(result, BaseException):
            raise result
        return result

    def add(self, *item) -> None:
        """Add ``item`` to the next call without waiting for it: for best-effort writes that a
        later frame or page redoes (receipts). A failure is logged."""
        self._queue(item, None)

    def _queue(self, item: tuple, future: asyncio.Future | None) -> None:
        loop = asyncio.get_running_loop()
        pending = self._pending.get(id(loop))
        if pending is None or pending.loop is not loop:
            pending = self._pending[id(loop)] = _Pending(loop)
        pending.items.append(item)
        pending.futures.append(future)
        self._schedule(pending)

    def _schedule(self, pending: _Pending) -> None:
        if not pending.items or pending.scheduled:
            return
        running = pending.tasks.values()
        if not running or (
            len(running) < self.concurrency and all(count == 1 for count in running)
        ):
            pending.scheduled = True
            pending.loop.call_later(self.window, self._start, pending)

    def _start(self, pending: _Pending) -> None:
        items, futures = pending.items, pending.futures
        pending.items, pending.futures = [], []
        pending.scheduled = False
        pending.tasks[asyncio.ensure_future(self._run(pending, items, futures))] = len(items)

    async def _run(self, pending: _Pending, items: list[tuple], futures: list) -> None:
        try:
            results = await database_sync_to_async(self.fn)(items)
        except Exception as exc:  # the whole batch failed: every caller hears it
            results = [exc] * len(items)
        finally:
            pending.tasks.pop(asyncio.current_task(), None)
            self._schedule(pending)
        for future, result in zip(futures, results, strict=True):
            if future is None:
                if isinstance(result, BaseException):
                    logger.error("batched %s failed", self.fn.__name__, exc_info=result)
            elif not future.done():
                future.set_result(result)
