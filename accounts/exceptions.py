from whatsapp.errors import DomainError


class InvalidContact(DomainError):
    code = "invalid_contact"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"


class AccountSuspended(InvalidCredentials):
    """The credentials are right but staff suspended the account (moderation)."""

    status_code = 403
    code = "account_suspended"
