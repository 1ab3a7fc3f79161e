"""The one WebSocket endpoint (/ws/): envelope checks, routing to app handlers, and pushes."""

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.core.exceptions import ObjectDoesNotExist
from django.db import DataError
from redis.exceptions import RedisError

from whatsapp import ratelimit, sockets
from whatsapp.channel_layer import CLOSE_REDIS_LOST
from whatsapp.errors import DomainError
from whatsapp.frames import CONNECT_HOOKS, DISCONNECT_HOOKS, HANDLERS
from whatsapp.realtime import user_group
from whatsapp.websocket_protocol import receive_attach
from whatsapp.ws_auth import credentials_hold

logger = logging.getLogger(__name__)

# Larger frames are refused. The biggest legitimate one is a 64 Ki-character message, which a
# client escaping non-ASCII as \uXXXX surrogate pairs (json.dumps' default) writes in ~768 KiB.
MAX_FRAME_BYTES = 1024 * 1024
# A socket that sends this many frames over its rate within one window of WS_FRAME_RATE (it
# ignores the `rate_limited` errors) is closed with 4008: "policy violation" (1008) in the range
# open to applications (ASGI servers send only 1000 and 3000-4999 for them).
FLOOD_CLOSE_AFTER = 200
CLOSE_POLICY_VIOLATION = 4008
# The user already holds WS_MAX_SOCKETS_PER_USER sockets (whatsapp.sockets): 429, "too many".
CLOSE_TOO_MANY_SOCKETS = 4429
# The credentials the socket was opened with were revoked (a password change, a revoked token).
CLOSE_SIGNED_OUT = 4401


async def dispatch_each(
    sources: Sequence[Callable[[], Awaitable[dict]]],
    dispatch: Callable[[dict], Awaitable[None]],
    attach: Sequence[Callable[[Callable[..., None]], None]] = (),
) -> None:
    """Channels' ``await_many_dispatch``, without an ``asyncio.wait`` for every message.

    Each source (the socket's ASGI ``receive``, its channel-layer ``receive``) has one read
    pending at a time, as there: a frame is not read before the previous one is handled, so the
    ASGI server's backpressure holds. Each finished read is dispatched, in the order the reads
    finished, then its source is read again. Channels waits with ``asyncio.wait`` each time,
    which builds a future and a set and adds and removes a callback on every pending read: 7%
    of a busy server's event loop (docs/performance.md, item 26). Here a read reports itself,
    and an idle socket holds two small lists and two closures.

    Each of ``attach`` is called once with a function ``report(message, taken=None)`` to call
    with each message as it arrives, instead of a read task per message: a channel layer that
    hands its messages over (item 40), the ASGI server's own socket (item 45). Such messages are
    dispatched in turn with the reads, in the order they came; ``taken``, if given, is called
    as the message is taken for dispatch (the server then reads the socket on, as after its
    ``receive`` returned).
    """
    loop = asyncio.get_running_loop()
    finished: list[asyncio.Future | tuple[dict, Callable[[], None] | None]] = []
    waiter: asyncio.Future | None = None

    def wake() -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def read_done(task: asyncio.Future) -> None:
        finished.append(task)
        wake()

    def report(message: dict, taken: Callable[[], None] | None = None) -> None:
        finished.append((message, taken))
        wake()

    def read(index: int) -> asyncio.Future:
        # ensure_future: an ASGI server's receive may return any awaitable, not a coroutine.
        task = asyncio.ensure_future(sources[index](), loop=loop)
        task.add_done_callback(read_done)
        return task

    tasks = [read(index) for index in range(len(sources))]
    for attach_one in attach:
        attach_one(report)
    try:
        while True:
            while not finished:
                waiter = loop.create_future()
                await waiter
            waiter = None
            item = finished.pop(0)
            if isinstance(item, tuple):  # an attached message
                message, taken = item
                if taken is not None:
                    taken()
                await dispatch(message)
                continue
            index = tasks.index(item)
            await dispatch(item.result())
            tasks[index] = read(index)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


class AppConsumer(AsyncJsonWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        """Channels' ``AsyncConsumer.__call__``, with :func:`dispatch_each` as its loop."""
        self.scope = scope
        layer = self.channel_layer = get_channel_layer(self.channel_layer_alias)
        sources, attach = [], []
        # The ASGI server's socket hands its events over as they come where it can (uvicorn,
        # see whatsapp.websocket_protocol); otherwise it is read.
        attach_socket = receive_attach(receive)
        if attach_socket is not None:
            attach.append(attach_socket)
        else:
            sources.append(receive)
        layer_attached = layer is not None and hasattr(layer, "attach")
        if layer is not None:
            try:
                self.channel_name = await layer.new_channel()
            except RedisError:  # the client retries; a traceback per attempt would flood the log
                logger.warning("refusing a socket: Redis unreachable")
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": CLOSE_REDIS_LOST})
                return
            if layer_attached:  # whatsapp.channel_layer's pub/sub layer
                attach.append(functools.partial(layer.attach, self.channel_name))
            else:
                sources.append(functools.partial(layer.receive, self.channel_name))
        self.base_send = send
        try:
            with contextlib.suppress(StopConsumer):
                await dispatch_each(sources, self.dispatch, attach)
        except RedisError:
            # channels_redis' queue layer (CHANNEL_LAYER=list): this socket's read of its
            # channel failed. Nothing else will end the socket as a socket: close it and run
            # its disconnect, or this process would count its user online for good.
            await self.close_redis_lost()
            await self.disconnect(CLOSE_REDIS_LOST)
        finally:
            # However the consumer ended: a close, a dropped connection, or an error that
            # escaped it (no disconnect then): a leaked place would be refreshed for good.
            await self.release_slot()
            if layer_attached:
                try:
                    await layer.detach(self.channel_name)
                except Exception:  # e.g. Redis gone: its subscriptions went with it
                    logger.warning("could not unsubscribe %s", self.channel_name, exc_info=True)

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close()
            return
        try:
            admitted = await sockets.aclaim(user.id)
        except RedisError:
            logger.warning("refusing a socket of user %s: Redis unreachable", user.id)
            await self.close(code=CLOSE_REDIS_LOST)
            return
        if not admitted:
            # Accepted to be closed at once: a close before accept reaches the client as an
            # HTTP 403, which it could not tell from a refused log-in.
            await self.accept()
            await self.close(code=CLOSE_TOO_MANY_SOCKETS, reason="too many sockets")
            return
        self.slot_user_id = user.id  # given back when the consumer ends (__call__)
        self.groups_joined: set[str] = set()
        try:
            await self.join(user_group(user.id))
        except RedisError:  # refused as in __call__; not yet ``self.user``: no disconnect hooks
            logger.warning("refusing a socket of user %s: Redis unreachable", user.id)
            with contextlib.suppress(RedisError):
                await self.channel_layer.group_discard(user_group(user.id), self.channel_name)
            await self.close(code=CLOSE_REDIS_LOST)
            return
        self.user = user
        self.frame_bucket = ratelimit.TokenBucket(ratelimit.frame_rate())
        self.frames_refused = 0
        self.refusals_since = 0.0
        self.hung_up = False
        await self.accept()
        await self.send_json({"type": "ready", "user_id": user.id})
        for hook in CONNECT_HOOKS:
            try:
                await hook(self)
            except Exception:  # the socket is useful without, e.g., its presence broadcast
                logger.exception("connect hook failed")

    async def dispatch(self, message):
        """Run the handler of an ASGI or channel-layer message, without Channels' thread hop.

        Channels' own ``dispatch`` first awaits ``aclose_old_connections()``: a hop to its ONE
        sync thread before every frame received and every push sent, which serialised every
        socket of a process on that thread (docs/performance.md, item 19). Nothing here uses the
        ORM on the event loop: every call goes through :func:`whatsapp.db.database_sync_to_async`,
        which closes stale connections around the call itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code):
        if not hasattr(self, "user"):
            return
        for hook in DISCONNECT_HOOKS:
            try:
                await hook(self)
            except Exception:  # one failing hook must not keep the others from cleaning up
                logger.exception("disconnect hook failed")
        for group in list(self.groups_joined):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except RedisError:  # Redis is gone, and with it what the socket had joined there
                break

    async def release_slot(self) -> None:
        """Give back the socket's place in its user's count of open sockets, once."""
        user_id = getattr(self, "slot_user_id", None)
        if user_id is None:
            return
        self.slot_user_id = None
        try:
            await sockets.arelease(user_id)
        except Exception:  # e.g. Redis gone: the count expires (whatsapp.sockets)
            logger.warning("could not release a socket of user %s", user_id, exc_info=True)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.hung_up:  # closed for flooding: what is still in flight is dropped unread
            return
        if not self.frame_bucket.take():
            await self.refuse_flood()
            return
        if text_data is None:
            await self.send_error("bad_frame", "Frames must be JSON text.")
            return
        if len(text_data) > MAX_FRAME_BYTES or (
            len(text_data) * 4 > MAX_FRAME_BYTES
            and len(text_data.encode("utf-8")) > MAX_FRAME_BYTES
        ):
            await self.send_error("too_large", f"Frames are limited to {MAX_FRAME_BYTES} bytes.")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: "[[[[...]]]]" nested too deep
            await self.send_error("bad_json", "The frame is not valid JSON.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs):
        if not isinstance(content, dict):
            await self.send_error("bad_frame", "A frame must be a JSON object.")
            return
        client_id = content.get("client_id")
        if not isinstance(client_id, str | int) or isinstance(client_id, bool):
            client_id = None
        frame_type = content.get("type")
        spec = HANDLERS.get(frame_type) if isinstance(frame_type, str) else None
        if spec is None:
            await self.send_error("unknown_type", f"Unknown frame type {frame_type!r}.", client_id)
            return
        missing = [name for name in spec.required if content.get(name) is None]
        if missing:
            await self.send_error(
                "missing_field", f"Missing field(s): {', '.join(missing)}.", client_id
            )
            return
        try:
            await spec.handler(self, content)
        except DomainError as exc:
            await self.send_error(exc.code, exc.detail, client_id)
        except ObjectDoesNotExist:
            await self.send_error("not_found", "Not found.", client_id)
        except (OverflowError, DataError):  # an id beyond bigint (SQLite cannot even compare it)
            await self.send_error("invalid", "A number is out of range.", client_id)
        except RedisError:  # the send counters or the channel layer
            await self.close_redis_lost()
        except Exception:  # a bug in one handler must not cost the client its socket
            logger.exception("frame handler for %r failed", frame_type)
            await self.send_error("server_error", "The frame could not be processed.", client_id)

    async def close_redis_lost(self) -> None:
        """Close the socket because Redis is unreachable: the groups it listens on may be gone
        with it. The client reconnects, which waits for Redis, and syncs what it missed
        (docs/reliability.md)."""
        user = getattr(self, "user", None)
        logger.warning("closing a socket of user %s: Redis unreachable", user and user.id)
        await self.close(code=CLOSE_REDIS_LOST)

    async def refuse_flood(self) -> None:
        """Answer a frame over the socket's rate; close a socket that ignores the answers."""
        now = time.monotonic()
        if now - self.refusals_since > self.frame_bucket.window_seconds:
            self.refusals_since, self.frames_refused = now, 0
        self.frames_refused += 1
        if self.frames_refused > FLOOD_CLOSE_AFTER:
            logger.warning("closing a flooding socket of user %s", self.user.id)
            self.hung_up = True
            await self.close(code=CLOSE_POLICY_VIOLATION)
            return
        await self.send_error("rate_limited", "Too many frames; slow down.")

    async def recheck_credentials(self) -> None:
        """The user's password or token changed: a socket opened with what no longer signs
        them in is told ``session.revoked`` and closed (4401); the others stay."""
        if not await credentials_hold(self.scope):
            await self.send_json({"type": "session.revoked"})
            await self.close(code=CLOSE_SIGNED_OUT)

    async def send_error(self, code: str, detail: str, client_id: Any = None) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
        if client_id is not None:
            frame["client_id"] = client_id
        await self.send_json(frame)

    async def push(self, event: dict[str, Any]) -> None:
        """Channel-layer handler for everything :mod:`whatsapp.realtime` publishes."""
        if event.get("exclude_channel") == self.channel_name:
            return
        # A frame sent to a group this socket has since left (e.g. a removed group member whose
        # unsubscribe was processed first) must not reach it.
        via = event.get("group")
        if via is not None and via not in self.groups_joined:
            return
        frame = event["frame"]
        kind = frame.get("type")
        if kind == "_subscribe":
            await self.join(frame["group"])
        elif kind == "_unsubscribe":
            await self.leave(frame["group"])
        elif kind == "_close":
            await self.close(code=frame.get("code", 4403))
        elif kind == "_recheck":
            await self.recheck_credentials()
        else:
            # A fan-out hands every socket of this process the same event (see
            # whatsapp.channel_layer): the frame is encoded once, not once per socket.
            text = event.get("text")
            if text is None:
                text = event["text"] = await self.encode_json(frame)
            await self.send(text_data=text)
