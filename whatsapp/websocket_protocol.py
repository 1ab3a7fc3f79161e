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
What touches uvicorn's protocol is in :mod:`whatsapp.compat.uvicorn`.

That queue (a :class:`ReceiveQueue`) also hands each event to the consumer as it comes, once the
consumer attaches to it (:func:`receive_attach`): no read task and future for every frame a
socket receives (docs/performance.md, item 45).
"""

from whatsapp.compat.uvicorn import ReceiveQueue, receive_attach, slim_idle_sockets

__all__ = [
    "ReceiveQueue",
    "close_protocol_errors_with_a_code",
    "receive_attach",
    "slim_idle_sockets",
]


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
