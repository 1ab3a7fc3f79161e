"""Keep per-user counts of a server process's open sockets alive in the cache, one task a loop.

Counts that live in the cache (presence, sockets per user) expire unless the processes holding
the sockets refresh them, so a process that dies cannot leave them up for good. One task per
event loop refreshes all of its users at once; a task per socket would cost every idle socket
its memory and every user a cache round trip.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import ClassVar

from whatsapp.db import database_sync_to_async

logger = logging.getLogger(__name__)


class Heartbeat:
    """The open sockets of this process per user, handed to :meth:`beat` (in a database
    thread) every :meth:`interval` seconds while there are any. Subclasses say what they keep
    alive; :meth:`for_loop` gives the one instance of a subclass on the running loop."""

    name = "heartbeat"
    _instances: ClassVar[dict[tuple[type, int], Heartbeat]] = {}

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.sockets: Counter[int] = Counter()
        self.task: asyncio.Task | None = None

    @classmethod
    def for_loop(cls) -> Heartbeat:
        loop = asyncio.get_running_loop()
        key = (cls, id(loop))
        beat = cls._instances.get(key)
        if beat is None or beat.loop is not loop:
            beat = cls._instances[key] = cls(loop)
        return beat

    def interval(self) -> float:
        raise NotImplementedError

    def beat(self, open_sockets: dict[int, int]) -> None:
        """Refresh the counts of ``{user_id: open sockets}`` (runs in a database thread)."""
        raise NotImplementedError

    def add(self, user_id: int) -> None:
        self.sockets[user_id] += 1
        if self.task is None:
            self.task = self.loop.create_task(self._run())

    def remove(self, user_id: int) -> None:
        self.sockets[user_id] -= 1
        if self.sockets[user_id] <= 0:
            del self.sockets[user_id]
        if not self.sockets and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        beat = database_sync_to_async(self.beat)
        while True:
            await asyncio.sleep(self.interval())
            try:
                await beat(dict(self.sockets))
            except Exception:  # a cache hiccup must not end the heartbeat
                logger.exception("%s failed", self.name)
