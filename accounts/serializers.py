"""Shapes of the accounts API: input serializers check shape, output serializers render.

Other apps nest :class:`PublicProfileSerializer` for users (senders, members, callers); pass
the request in the context so picture URLs are absolute and hidden fields stay hidden.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import selectors
from accounts.models import Block, Contact, User


def _absolute(serializer: serializers.Serializer, path: str | None) -> str | None:
    request = serializer.context.get("request")
    if path is None or request is None:
        return path
    return request.build_absolute_uri(path)


def is_stranger(user: User) -> bool:
    """Whether the selector that loaded ``user`` marked them unknown to the viewer."""
    return getattr(user, "is_stranger", False)


class ProfileSerializer(serializers.ModelSerializer):
    """The signed-in user's own profile."""

    user_id = serializers.IntegerField(source="id", read_only=True)
    profile_picture = serializers.SerializerMethodField()
    profile_thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "user_id",
            "phone_number",
            "name",
            "profile_picture",
            "profile_thumbnail",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_profile_picture(self, user: User) -> str | None:
        return _absolute(self, user.profile_picture_url)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_profile_thumbnail(self, user: User) -> str | None:
        return _absolute(self, user.profile_thumbnail_url)


class PublicProfileSerializer(ProfileSerializer):
    """Another user's profile as the requesting user may see it.

    ``status`` is null when that user blocked the viewer. The set of users who blocked the
    viewer is read once per response, however many profiles it nests. A user loaded with
    ``is_stranger`` set (one the viewer does not know, ``accounts.selectors.known_to``: the
    inbox marks the peers of chats the viewer started) shows only user_id, name and dates.
    """

    phone_number = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta(ProfileSerializer.Meta):
        pass

    @extend_schema_field(
        serializers.CharField(
            allow_null=True, help_text="Null for a user you don't know (a chat you started)."
        )
    )
    def get_phone_number(self, user: User) -> str | None:
        return None if is_stranger(user) else user.phone_number

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_profile_picture(self, user: User) -> str | None:
        return None if is_stranger(user) else super().get_profile_picture(user)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_profile_thumbnail(self, user: User) -> str | None:
        return None if is_stranger(user) else super().get_profile_thumbnail(user)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_status(self, user: User) -> str | None:
        if is_stranger(user) or user.id in self._blocked_viewer_ids():
            return None
        return user.status

    def _blocked_viewer_ids(self) -> set[int]:
        context = self.context
        ids = context.get("_blocked_viewer_ids")
        if ids is None:
            request = context.get("request")
            viewer = getattr(request, "user", None)
            ids = (
                selectors.ids_who_blocked(viewer.id)
                if viewer and viewer.is_authenticated
                else set()
            )
            context["_blocked_viewer_ids"] = ids
        return ids


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


class ContactSerializer(serializers.ModelSerializer):
    contact_id = serializers.IntegerField(source="id", read_only=True)
    contact_user = PublicProfileSerializer(read_only=True)
    is_blocked = serializers.SerializerMethodField(help_text="Whether I blocked this contact.")

    class Meta:
        model = Contact
        fields = ["contact_id", "contact_user", "added_at", "is_blocked"]
        read_only_fields = fields

    def get_is_blocked(self, contact: Contact) -> bool:
        annotated = getattr(contact, "is_blocked", None)
        if annotated is not None:
            return annotated
        return selectors.has_blocked(contact.user_id, contact.contact_user_id)


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


class BlockSerializer(serializers.ModelSerializer):
    block_id = serializers.IntegerField(source="id", read_only=True)
    user_id = serializers.IntegerField(source="blocked_id", read_only=True)
    user = PublicProfileSerializer(source="blocked", read_only=True)

    class Meta:
        model = Block
        fields = ["block_id", "user_id", "user", "created_at"]
        read_only_fields = fields


class BlockCreateSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(min_value=1)
