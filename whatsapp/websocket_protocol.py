"""Adjustments to the ASGI servers' WebSocket protocols, applied when the app is loaded.

Protocol errors end with a close code, not a dropped connection. Daphne's WebSocket layer
(autobahn) drops the TCP connection when a client breaks the protocol: a text frame that is not
UTF-8, a message over daphne's 1 MiB limit. A client then cannot tell a hostile frame from a
network failure. With ``failByDrop`` off it closes properly instead: 1007 (invalid payload
data), 1009 (message too big), 1002 (protocol error).

An idle socket holds little (docs/performance.md). uvicorn's sans-I/O protocol keeps the parsed
HTTP upgrade request and its response (headers and all) for as long as the socket stays open,
though nothing reads them after the accept: about 3 KiB of every idle socket. They are dropped
once the socket is accepted, and its queue of incoming events is a
:class:`whatsapp.channel_layer.SocketQueue` instead of an ``asyncio.Queue`` (2-3 KiB less).

That queue (a :class:`ReceiveQueue`) also hands each event to the consumer as it comes, once the
consumer attaches to it (:func:`receive_attach`): no read task and future for every frame a
socket receives (docs/performance.md, item 45).
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


def close_protocol_errors_with_a_code() -> None:
    try:
        from daphne.ws_protocol import WebSocketFactory
    except ImportError:  # served by another ASGI server: nothing to adjust
        return
    if getattr(WebSocketFactory, "closes_protocol_errors_with_a_code", False):
        return
    reset = WebSocketFactory.resetProtocolOptions

    def reset_protocol_options(self):
        reset(self)
        self.failByDrop = False

    WebSocketFactory.resetProtocolOptions = reset_protocol_options
    WebSocketFactory.closes_protocol_errors_with_a_code = True


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
