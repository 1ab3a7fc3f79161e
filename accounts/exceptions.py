from whatsapp.errors import DomainError


class InvalidContact(DomainError):
    code = "invalid_contact"
