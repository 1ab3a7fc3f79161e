from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    """Attachments' code and template tags; the Multimedia model lives in chats (seed table)."""

    name = "attachments"
