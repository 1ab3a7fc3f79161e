from django.apps import AppConfig


class ModerationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self):
        from groups.services import add_member_check
        from moderation.selectors import refuse_banned

        add_member_check(refuse_banned)
