"""Rate limits on sending, one rule for the socket, the REST API and the pages.

- Per user, across every socket, process and endpoint: at most ``MESSAGE_SEND_RATE`` sends
  (1:1 and group messages, forwards) per window, counted in the cache (Redis when ``REDIS_URL``
  is set, so the count spans server processes). Beyond it the socket answers an ``error`` frame
  with code ``rate_limited`` and REST a 429 with ``Retry-After``; nothing is stored.
- Per socket: at most ``WS_FRAME_RATE`` frames of any kind, as a token bucket held by the
  connection (no I/O), so a flood of cheap or invalid frames cannot tie up the server.

Rates are written ``"<count>/<seconds>"`` (``"30/10"``; ``s``, ``min`` and ``h`` suffixes are
accepted: ``"30/10s"``, ``"100/min"``) and read when used, so settings changes apply at once.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from django.conf import settings

from whatsapp import cache as counters
from whatsapp.errors import RateLimited

_UNITS = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]*)\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _RATE.match(str(text).lower())
        if match is None or match.group(3) not in _UNITS:
            raise ValueError(f"A rate looks like '30/10s', not {text!r}.")
        seconds = int(match.group(2) or 1) * _UNITS[match.group(3)]
        if seconds < 1:
            raise ValueError(f"A rate needs a window of at least one second: {text!r}.")
        return cls(int(match.group(1)), seconds)


def send_rate() -> Rate:
    return Rate.parse(settings.MESSAGE_SEND_RATE)


def frame_rate() -> Rate:
    return Rate.parse(settings.WS_FRAME_RATE)


def _window(rate: Rate) -> tuple[int, int]:
    """The fixed window ``rate`` counts in now, and the seconds until the next one starts."""
    now = time.time()
    window = int(now // rate.seconds)
    return window, max(1, math.ceil((window + 1) * rate.seconds - now))


def _refusal(rate: Rate, wait: int, what: str) -> RateLimited:
    error = RateLimited(
        f"Too many {what}: at most {rate.count} every {rate.seconds} seconds. "
        f"Try again in {wait} s."
    )
    error.retry_after = wait
    return error


def count_sends(user_ids: list[int]) -> list[int | None]:
    """Count one send by each of ``user_ids`` (a user given twice sent twice); per send None if
    allowed, else the seconds to wait.

    A fixed window in the cache: ``incr`` is atomic (Redis ``INCR``), so concurrent sends on
    several processes cannot slip past the limit together. One Redis round trip for all of
    them (INCR + EXPIRE NX each; see whatsapp.cache.count_many).
    """
    rate = send_rate()
    window, wait = _window(rate)
    keys = [f"ratelimit:send:{user_id}:{window}" for user_id in user_ids]
    counts = counters.count_many(keys, timeout=rate.seconds + 1, refresh=False)
    return [None if count <= rate.count else wait for count in counts]


def count_send(user_id: int) -> int | None:
    """Count one send by ``user_id``; None if allowed, else the seconds to wait."""
    return count_sends([user_id])[0]


def refusal(wait: int) -> RateLimited:
    """The error for a send over the rate: code ``rate_limited``, ``retry_after`` seconds."""
    return _refusal(send_rate(), wait, "messages")


def check_send(user_id: int) -> None:
    """Count one send; raise :class:`RateLimited` (code ``rate_limited``) beyond the rate."""
    wait = count_send(user_id)
    if wait is not None:
        raise refusal(wait)


def check_rate(scope: str, ident: int | str, rate: Rate, *, what: str) -> None:
    """Count one ``scope`` event by ``ident``; RateLimited beyond ``rate`` (``what`` names the
    events in its message, e.g. "phone number lookups").

    The fixed window of :func:`count_sends`, on a counter of its own per scope.
    """
    window, wait = _window(rate)
    key = f"ratelimit:{scope}:{ident}:{window}"
    if counters.count(key, timeout=rate.seconds + 1, refresh=False) > rate.count:
        raise _refusal(rate, wait, what)


class TokenBucket:
    """``rate.count`` tokens, refilled at ``rate.count / rate.seconds`` a second (per socket)."""

    def __init__(self, rate: Rate):
        self.capacity = float(rate.count)
        self.window_seconds = rate.seconds
        self.refill_per_second = rate.count / rate.seconds
        self.tokens = self.capacity
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        refilled = self.tokens + (now - self.updated) * self.refill_per_second
        self.tokens = min(self.capacity, refilled)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
