from whatsapp.errors import DomainError


class InvalidContact(DomainError):
    code = "invalid_contact"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
