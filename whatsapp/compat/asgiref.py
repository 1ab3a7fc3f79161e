"""asgiref internals (pinned in pyproject.toml; checked by tests/test_compat.py)."""

import asyncio

from asgiref.sync import SyncToAsync

# SyncToAsync.threadlocal (undocumented): a thread running a ``sync_to_async`` call has its
# ``main_event_loop`` set there, the loop that awaits it. Read once per push from a database
# thread, to hand the push to that loop instead of blocking on ``async_to_sync``.
_threadlocal = SyncToAsync.threadlocal


def serving_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop whose ``sync_to_async`` called this thread, if any."""
    loop = getattr(_threadlocal, "main_event_loop", None)
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop
