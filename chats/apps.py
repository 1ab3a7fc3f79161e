from django.apps import AppConfig


class ChatsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chats"

    def ready(self):
        from chats import (
            frames,  # noqa: F401  (registers the WebSocket frame handlers)
            selectors,  # noqa: F401  (registers the "wrote to" known relation)
        )
