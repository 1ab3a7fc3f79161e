"""Password rules beyond Django's own validators (``AUTH_PASSWORD_VALIDATORS``)."""

from django.core.exceptions import ValidationError


class NotBlankPasswordValidator:
    """Refuse a password of only whitespace ("        " passes a length rule)."""

    def validate(self, password: str, user=None) -> None:
        if not password.strip():
            raise ValidationError(
                "This password is only spaces. Use letters, digits or symbols.",
                code="password_blank",
            )

    def get_help_text(self) -> str:
        return "Your password can't be only spaces."
