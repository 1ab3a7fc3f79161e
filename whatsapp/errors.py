"""Domain errors raised by services; mapped once to HTTP (whatsapp.api) and to `error` frames."""

from collections.abc import Iterable, Mapping


class DomainError(Exception):
    """A rule of the domain refused the operation. ``code`` is stable for clients."""

    status_code = 400
    code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.field = field


class FieldErrors(DomainError):
    """Input refused field by field: ``errors`` maps each field to its messages, all at once.

    The API answers 400 ``{field: [messages], ...}`` (the shape of DRF's own validation
    errors, no ``code``); a page puts each field's messages on that form field. ``detail`` and
    ``field`` are the first of them, for whoever shows one error only (an ``error`` frame).
    """

    def __init__(self, errors: Mapping[str, Iterable[str]], *, code: str | None = None):
        self.errors = {field: list(messages) for field, messages in errors.items()}
        field, messages = next(iter(self.errors.items()))
        super().__init__(messages[0], code=code, field=field)


class NotFound(DomainError):
    """The object does not exist or the user may not see it (never say which)."""

    status_code = 404
    code = "not_found"

    def __init__(self, detail: str = "Not found.", **kwargs):
        super().__init__(detail, **kwargs)


class Forbidden(DomainError):
    """The user sees the object but may not do this to it."""

    status_code = 403
    code = "forbidden"


class Blocked(DomainError):
    """A block between the two users forbids the operation."""

    status_code = 403
    code = "blocked"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "too_large"


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"
