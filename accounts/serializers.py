"""Shapes of the accounts API: input serializers check shape, output serializers render.

Other apps nest :class:`PublicProfileSerializer` for users (senders, members, callers); pass
the request in the context so picture URLs are absolute and hidden fields stay hidden.
"""

from collections.abc import Callable
from typing import Annotated, TypedDict

from rest_framework import serializers

from accounts import selectors
from accounts.models import Block, Contact, User
from whatsapp.shapes import ShapeSerializer, Timestamp
from whatsapp.timestamps import timestamp


def _absolute(request, path: str | None) -> str | None:
    if path is None or request is None:
        return path
    return request.build_absolute_uri(path)


def is_stranger(user: User) -> bool:
    """Whether the selector that loaded ``user`` marked them unknown to the viewer."""
    return getattr(user, "is_stranger", False)


class ProfileJSON(TypedDict):
    user_id: int
    phone_number: str
    name: str
    profile_picture: Annotated[str | None, serializers.URLField(read_only=True)]
    profile_thumbnail: Annotated[str | None, serializers.URLField(read_only=True)]
    status: str
    created_at: Timestamp
    updated_at: Timestamp


def profile_json(user: User, request) -> ProfileJSON:
    """``user``'s profile, picture URLs absolute with a ``request``."""
    return {
        "user_id": user.id,
        "phone_number": user.phone_number,
        "name": user.name,
        "profile_picture": _absolute(request, user.profile_picture_url),
        "profile_thumbnail": _absolute(request, user.profile_thumbnail_url),
        "status": user.status,
        "created_at": timestamp(user.created_at),
        "updated_at": timestamp(user.updated_at),
    }


class ProfileSerializer(ShapeSerializer):
    """The signed-in user's own profile."""

    shape = ProfileJSON

    def to_representation(self, user: User) -> ProfileJSON:
        return profile_json(user, self.context.get("request"))


# ProfileJSON's keys, with what a viewer may not see nullable.
class PublicProfileJSON(TypedDict):
    user_id: int
    phone_number: Annotated[
        str | None,
        serializers.CharField(
            read_only=True, help_text="Null for a user you don't know (a chat you started)."
        ),
    ]
    name: str
    profile_picture: Annotated[str | None, serializers.URLField(read_only=True)]
    profile_thumbnail: Annotated[str | None, serializers.URLField(read_only=True)]
    status: str | None
    created_at: Timestamp
    updated_at: Timestamp


def public_profile_json(
    user: User, request, *, has_blocked_viewer: Callable[[User], bool]
) -> PublicProfileJSON:
    """``user`` as the viewer of ``request`` may see them (picture URLs absolute with one).

    A stranger (:func:`is_stranger`) shows only user_id, name and dates; a user who blocked
    the viewer (``has_blocked_viewer(user)``, asked of others only) shows no status.
    """
    profile = profile_json(user, request)
    if is_stranger(user):
        profile.update(phone_number=None, profile_picture=None, profile_thumbnail=None, status=None)
    elif has_blocked_viewer(user):
        profile["status"] = None
    return profile


def blocked_viewer(context: dict) -> Callable[[User], bool]:
    """Whether a user blocked the viewer of ``context["request"]``. Who did is read once per
    serializer context, so once per response however many profiles it shows."""

    def has_blocked_viewer(user: User) -> bool:
        ids = context.get("_blocked_viewer_ids")
        if ids is None:
            viewer = getattr(context.get("request"), "user", None)
            ids = (
                selectors.ids_who_blocked(viewer.id)
                if viewer and viewer.is_authenticated
                else set()
            )
            context["_blocked_viewer_ids"] = ids
        return user.id in ids

    return has_blocked_viewer


# For shapes that show other users: the writer takes the request (absolute picture URLs) and
# who blocked the viewer. No docstring: drf-spectacular would describe every subclass by it.
class ViewerShapeSerializer(ShapeSerializer):
    def to_representation(self, instance):
        return type(self).writer(
            instance, self.context.get("request"), has_blocked_viewer=blocked_viewer(self.context)
        )


class PublicProfileSerializer(ViewerShapeSerializer):
    """Another user's profile as the requesting user may see it.

    ``status`` is null when that user blocked the viewer. The set of users who blocked the
    viewer is read once per response, however many profiles it nests. A user loaded with
    ``is_stranger`` set (one the viewer does not know, ``accounts.selectors.known_to``: the
    inbox marks the peers of chats the viewer started) shows only user_id, name and dates.
    """

    shape = PublicProfileJSON
    writer = public_profile_json


class RegisterSerializer(serializers.Serializer):
    phone_number = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    password = serializers.CharField(
        max_length=1024, write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )


class CredentialsSerializer(serializers.Serializer):
    phone_number = serializers.CharField(max_length=64)
    password = serializers.CharField(
        max_length=1024, trim_whitespace=False, style={"input_type": "password"}
    )


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(
        max_length=1024, trim_whitespace=False, style={"input_type": "password"}
    )
    new_password = serializers.CharField(
        max_length=1024, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    user_id = serializers.IntegerField(read_only=True)


class ProfileUpdateSerializer(serializers.Serializer):
    """PATCH users/me/: any subset; ``profile_picture: null`` removes the picture."""

    name = serializers.CharField(required=False, max_length=200)
    status = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    profile_picture = serializers.FileField(required=False, allow_null=True)


class ContactJSON(TypedDict):
    contact_id: int
    contact_user: PublicProfileJSON
    added_at: Timestamp
    is_blocked: Annotated[
        bool, serializers.BooleanField(read_only=True, help_text="Whether I blocked this contact.")
    ]


def contact_json(
    contact: Contact, request, *, has_blocked_viewer: Callable[[User], bool]
) -> ContactJSON:
    """A contact; ``is_blocked`` comes annotated (``selectors.contacts_of``) or is looked up."""
    return {
        "contact_id": contact.id,
        "contact_user": public_profile_json(
            contact.contact_user, request, has_blocked_viewer=has_blocked_viewer
        ),
        "added_at": timestamp(contact.added_at),
        "is_blocked": _is_blocked(contact),
    }


def _is_blocked(contact: Contact) -> bool:
    annotated = getattr(contact, "is_blocked", None)
    if annotated is not None:
        return annotated
    return selectors.has_blocked(contact.user_id, contact.contact_user_id)


class ContactSerializer(ViewerShapeSerializer):
    shape = ContactJSON
    writer = contact_json


class ContactCreateSerializer(serializers.Serializer):
    """Exactly one of ``phone_number`` (any format) or ``contact_user_id``."""

    phone_number = serializers.CharField(required=False, max_length=64)
    contact_user_id = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        if ("phone_number" in attrs) == ("contact_user_id" in attrs):
            raise serializers.ValidationError(
                {"phone_number": ["Give either phone_number or contact_user_id."]}
            )
        return attrs


class BlockJSON(TypedDict):
    block_id: int
    user_id: int
    user: PublicProfileJSON
    created_at: Timestamp


def block_json(block: Block, request, *, has_blocked_viewer: Callable[[User], bool]) -> BlockJSON:
    """A user I blocked."""
    return {
        "block_id": block.id,
        "user_id": block.blocked_id,
        "user": public_profile_json(block.blocked, request, has_blocked_viewer=has_blocked_viewer),
        "created_at": timestamp(block.created_at),
    }


class BlockSerializer(ViewerShapeSerializer):
    shape = BlockJSON
    writer = block_json


class BlockCreateSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(min_value=1)
