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
import threading
from concurrent.futures import ThreadPoolExecutor

from channels.db import DatabaseSyncToAsync
from django.conf import settings

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


class Batch:
    """Calls collected for ``window`` seconds on one event loop and run as ONE database call.

    ``fn(items)`` gets every item submitted meanwhile and returns one result per item, in
    order; each caller of :meth:`submit` gets its own (an exception instance is raised to that
    caller alone). For frames many sockets send all the time, such as delivery receipts: one
    thread hop and one transaction per batch instead of per frame.
    """

    def __init__(self, fn, *, window: float = 0.02):
        self.fn = fn
        self.window = window
        self._pending: dict[int, tuple] = {}

    async def submit(self, *item):
        loop = asyncio.get_running_loop()
        pending = self._pending.get(id(loop))
        if pending is None or pending[0] is not loop:
            pending = self._pending[id(loop)] = (loop, [], [])
            loop.call_later(self.window, lambda: asyncio.ensure_future(self._flush(pending)))
        future = loop.create_future()
        pending[1].append(item)
        pending[2].append(future)
        result = await future
        if isinstance(result, BaseException):
            raise result
        return result

    async def _flush(self, pending) -> None:
        loop, items, futures = pending
        if self._pending.get(id(loop)) is pending:
            del self._pending[id(loop)]
        try:
            results = await database_sync_to_async(self.fn)(items)
        except Exception as exc:  # the whole batch failed: every caller hears it
            results = [exc] * len(items)
        for future, result in zip(futures, results, strict=True):
            if not future.done():
                future.set_result(result)
