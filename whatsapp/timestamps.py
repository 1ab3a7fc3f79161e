"""How the API and the WebSocket frames write a moment in time: one function for every app."""

from datetime import UTC, datetime


def timestamp(value: datetime | None) -> str | None:
    """An aware datetime as the API writes it (ISO 8601, UTC, ``Z``); None stays None.

    What DRF's ``DateTimeField`` writes with ``TIME_ZONE = "UTC"``, without its settings and
    time-zone look-ups: every message pushed or acknowledged has three timestamps.
    """
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
