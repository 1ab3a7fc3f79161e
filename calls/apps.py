from django.apps import AppConfig


class CallsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "calls"

    def ready(self):
        from calls import (
            frames,  # noqa: F401  (registers the call.signal handler)
            selectors,  # noqa: F401  (registers the "called" known relation)
        )
