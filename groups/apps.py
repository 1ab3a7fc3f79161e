from django.apps import AppConfig


class GroupsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "groups"

    def ready(self):
        from groups import (
            frames,  # noqa: F401  (registers group_message.* frames and hooks)
            selectors,  # noqa: F401  (registers the "group member" known relation)
        )
