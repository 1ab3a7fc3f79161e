"""DRF's token authentication with the user read in one lean query."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.selectors import user_for_token


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``, as DRF's, answering with the same 401 errors.

    ``request.auth`` is the token's key (DRF's gives the ``Token`` row, which nothing here
    reads): see :func:`accounts.selectors.user_for_token`.
    """

    def authenticate_credentials(self, key):
        user = user_for_token(key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, key
