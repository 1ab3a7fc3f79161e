"""WebSocket protocol errors end with a close code, not a dropped connection.

Daphne's WebSocket layer (autobahn) drops the TCP connection when a client breaks the protocol:
a text frame that is not UTF-8, a message over daphne's 1 MiB limit. A client then cannot tell
a hostile frame from a network failure. With ``failByDrop`` off it closes properly instead:
1007 (invalid payload data), 1009 (message too big), 1002 (protocol error).
"""


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
