"""Template helpers for attachments: how to show one (image, video, audio or document)."""

from django import template

from attachments.kinds import media_kind as kind_of

register = template.Library()


@register.filter
def media_kind(item) -> str:
    """image, video, audio or document, from the stored MIME type."""
    return kind_of(getattr(item, "file_type", "") or "")
