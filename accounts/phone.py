import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError

from whatsapp.errors import FieldErrors


def normalize_phone_number(raw: str) -> str:
    """Return the E.164 form of a phone number, or raise ValidationError if it is not valid."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Enter a phone number.", code="required")
    try:
        parsed = phonenumbers.parse(text, settings.PHONE_NUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError("Enter a valid phone number.", code="invalid") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError("Enter a valid phone number.", code="invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_phone_number(raw: str) -> str:
    """Return the E.164 form of a phone number; one not valid is FieldErrors on
    ``phone_number`` (services and selectors; forms validate with normalize_phone_number)."""
    try:
        return normalize_phone_number(raw)
    except ValidationError as exc:
        raise FieldErrors({"phone_number": exc.messages}) from exc
