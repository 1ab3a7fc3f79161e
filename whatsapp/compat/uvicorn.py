"""uvicorn internals (pinned in pyproject.toml; checked by tests/test_compat.py).

uvicorn's sans-I/O WebSocket protocol (``websockets_sansio_impl.WebSocketsSansIOProtocol``):
its ``__init__`` and ``send`` are wrapped, and these attributes of a connection are read or
replaced: ``queue`` (the ``asyncio.Queue`` of ASGI events its ``receive`` reads), ``read_paused``
and ``transport`` (its backpressure: it stops reading after each frame it queues),
``handshake_complete``, and ``request`` / ``response`` (the upgrade, kept for the socket's
life); and an ASGI ``receive``'s ``__self__`` (the protocol) to find its queue. Why: see
whatsapp.websocket_protocol.
"""

from collections.abc import Callable

from whatsapp.channel_layer import SocketQueue


class ReceiveQueue(SocketQueue):
    """A uvicorn socket's queue of ASGI events, which can hand them to the app as they come.

    uvicorn stops reading a socket after each frame it queues, and its ``receive`` reads on
    once the app has taken every queued event (its backpressure). Once attached, each event is
    reported with :meth:`taken`, which does that when the app takes it.
    """

    __slots__ = ("protocol", "report", "untaken")

    def __init__(self, protocol):
        super().__init__()
        self.protocol = protocol
        self.report: Callable[..., None] | None = None
        self.untaken = 0

    def put_nowait(self, item) -> None:
        if self.report is None:
            super().put_nowait(item)
            return
        self.untaken += 1
        self.report(item, self.taken)

    def attach(self, report: Callable[..., None]) -> None:
        """Report each event from now on, those queued first (see ``dispatch_each``)."""
        self.report = report
        queued, self.items = self.items, []
        for item in queued:
            self.put_nowait(item)

    def taken(self) -> None:
        self.untaken -= 1
        protocol = self.protocol
        if protocol.read_paused and not self.untaken:
            protocol.read_paused = False
            protocol.transport.resume_reading()


def receive_attach(receive) -> Callable[[Callable[..., None]], None] | None:
    """The ``attach`` of the socket whose ASGI ``receive`` this is, if it has one (uvicorn's,
    with :func:`slim_idle_sockets` applied), else None."""
    queue = getattr(getattr(receive, "__self__", None), "queue", None)
    return queue.attach if isinstance(queue, ReceiveQueue) else None


def slim_idle_sockets() -> None:
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol as Protocol,
        )
    except ImportError:  # another ASGI server, or a uvicorn without this protocol
        return
    if getattr(Protocol, "slims_idle_sockets", False):
        return
    init, send = Protocol.__init__, Protocol.send

    def init_with_a_slim_queue(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.queue = ReceiveQueue(self)

    async def send_then_forget(self, message):
        await send(self, message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            self.request = self.response = None

    Protocol.__init__ = init_with_a_slim_queue
    Protocol.send = send_then_forget
    Protocol.slims_idle_sockets = True
