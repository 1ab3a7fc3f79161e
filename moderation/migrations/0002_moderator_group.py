"""Create the "Moderator" auth group: exactly what staff without superuser rights need.

They review the Reports queue and act on it (dismiss, remove content, suspend, ban from a
group), read the audit log and group bans, and look at the users, messages, media, groups and
stories reports point at. They cannot edit or delete any of those, nor the audit log.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Moderator"
PERMISSIONS = {
    "moderation": [
        "view_report",
        "change_report",
        "view_reportsnapshot",
        "remove_content",
        "suspend_user",
        "ban_from_group",
        "view_groupban",
        "view_auditlog",
    ],
    "accounts": ["view_user"],
    "chats": ["view_message", "view_multimedia"],
    "groups": ["view_group", "view_groupmember", "view_groupmessage"],
    "stories": ["view_story"],
}


def create_moderator_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; this one needs them now.
    for label in PERMISSIONS:
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    permissions = []
    for app_label, codenames in PERMISSIONS.items():
        for codename in codenames:
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    group.permissions.set(permissions)


def delete_moderator_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0001_initial"),
        ("chats", "0001_initial"),
        ("groups", "0001_initial"),
        ("stories", "0001_initial"),
        ("moderation", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_moderator_group, delete_moderator_group)]
