"""Errors of attachments that a client is told about."""

from whatsapp.errors import DomainError


class UnsupportedFile(DomainError):
    code = "unsupported_file"
