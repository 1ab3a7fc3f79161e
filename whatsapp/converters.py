"""URL converters: ``<id:name>`` is a database id, a positive integer that fits a bigint.

A longer number cannot name a row; with ``<int:>`` it would reach the database, where SQLite
refuses it (OverflowError, a 500). With ``<id:>`` the URL simply does not match: a 404.
"""

from django.urls import register_converter

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("out of range")  # Django: this pattern does not match
        return number

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")
