"""WebSocket side of calls: relay `call.signal` between the two parties of an answered call.

Starting, answering, declining and ending a call go through the REST API (docs/calls.md); the
socket carries only the WebRTC signalling. A socket that relayed signals for a call "holds" it:
when that socket closes (tab closed, reloaded, crashed), the call it held is ended.
"""

from typing import Any

from calls import selectors, services
from whatsapp.db import database_sync_to_async
from whatsapp.errors import DomainError
from whatsapp.frames import frame, on_disconnect


def _relay(user, call_id: int, signal: dict[str, Any]) -> None:
    call = selectors.visible_call(user, call_id)
    services.relay_signal(user, call=call, signal=signal)


@frame("call.signal", required=("call_id", "signal"))
async def call_signal(consumer, data: dict[str, Any]) -> None:
    call_id = data["call_id"]
    signal = data["signal"]
    if not isinstance(call_id, int) or isinstance(call_id, bool):
        raise DomainError("call_id must be an integer.", code="invalid")
    if not isinstance(signal, dict):
        raise DomainError("signal must be an object.", code="invalid")
    await database_sync_to_async(_relay)(consumer.user, call_id, signal)
    if not hasattr(consumer, "held_call_ids"):
        consumer.held_call_ids = set()
    consumer.held_call_ids.add(call_id)


@on_disconnect
async def end_held_calls(consumer) -> None:
    held = getattr(consumer, "held_call_ids", None)
    if held:
        await database_sync_to_async(services.end_calls_left_by)(consumer.user, call_ids=held)
