"""Django's ``changepassword``, which then signs the user out everywhere, as every other path
that changes a password does (accounts.services.set_password)."""

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword

from accounts import services


class Command(changepassword.Command):
    help = changepassword.Command.help + " Revokes the API token and closes the user's sockets."

    def handle(self, *args, **options):
        result = super().handle(*args, **options)  # validated by AUTH_PASSWORD_VALIDATORS
        model = get_user_model()
        username = options["username"] or getpass.getuser()
        user = model._default_manager.db_manager(options["database"]).get_by_natural_key(username)
        services.revoke_token(user)
        return result
