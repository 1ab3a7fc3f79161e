"""REST endpoints of accounts: auth, profiles, contacts and blocks (thin: services do the work)."""

import mimetypes

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.exceptions import InvalidContact
from accounts.models import Block, Contact, User
from accounts.serializers import (
    BlockCreateSerializer,
    BlockSerializer,
    ContactCreateSerializer,
    ContactSerializer,
    CredentialsSerializer,
    PasswordChangeSerializer,
    ProfileSerializer,
    ProfileUpdateSerializer,
    PublicProfileSerializer,
    RegisterSerializer,
    TokenSerializer,
)
from whatsapp.api import ERROR, AnyAcceptNegotiation, validated_input
from whatsapp.errors import FieldErrors, NotFound

THROTTLED = OpenApiResponse(description="Too many attempts; see the Retry-After header.")
LOOKUP_THROTTLED = OpenApiResponse(
    description="Too many phone number lookups; see the Retry-After header."
)


class RegisterView(APIView):
    # No authentication: a stale token header must not turn a sign-up into a 401.
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=RegisterSerializer,
        responses={201: ProfileSerializer, 400: ERROR, 429: THROTTLED},
        summary="Create an account",
        description="The phone number is normalised to E.164; a duplicate or malformed one is "
        "a 400 on `phone_number`. Sign-ups are counted per client address (scope `register`): "
        "beyond it 429 `throttled` with Retry-After.",
    )
    def post(self, request):
        data = validated_input(request, RegisterSerializer)
        user = services.sign_up(**data, request=request)
        body = ProfileSerializer(user, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=CredentialsSerializer,
        responses={200: TokenSerializer, 400: ERROR, 429: THROTTLED},
        summary="Get an API token",
        description="Exchange a phone number and password for the user's token (use it as "
        "`Authorization: Token <key>`). Wrong credentials are a 400 with code "
        "`invalid_credentials`. Repeated failures from one client address (scope `login`), or "
        "on one phone number from any addresses (scope `login_account`), are answered 429 "
        "`throttled` with Retry-After, the right password included, until the window passes.",
    )
    def post(self, request):
        data = validated_input(request, CredentialsSerializer)
        user = services.log_in(**data, request=request)
        token = services.issue_token(user)
        return Response(TokenSerializer({"token": token.key, "user_id": user.id}).data)


class TokenRevokeView(APIView):
    @extend_schema(
        tags=["auth"],
        request=None,
        responses={204: None},
        summary="Revoke my API token",
        description="The token stops working at once and sockets opened with it receive "
        "`session.revoked` and close (4401). Sign in again (`auth/token/`) for a new one.",
    )
    def post(self, request):
        services.revoke_token(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MePasswordView(APIView):
    @extend_schema(
        tags=["users"],
        request=PasswordChangeSerializer,
        responses={200: TokenSerializer, 400: ERROR, 429: THROTTLED},
        summary="Change my password",
        description="`current_password` must be right (a wrong one counts as a failed log-in "
        "on the account, scope `login_account`); `new_password` passes the password validators "
        "(400 on `new_password`). The old token is revoked and a new one returned; browser "
        "sessions and sockets signed in with the old password or token are signed out "
        "(`session.revoked`). A browser session making the change stays signed in.",
    )
    def post(self, request):
        data = validated_input(request, PasswordChangeSerializer)
        token = services.change_password(request.user, **data, keep_session=request.session)
        return Response(TokenSerializer({"token": token.key, "user_id": request.user.id}).data)


class MeView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(tags=["users"], responses=ProfileSerializer, summary="My profile")
    def get(self, request):
        return Response(ProfileSerializer(request.user, context={"request": request}).data)

    @extend_schema(
        tags=["users"],
        request={
            "application/json": ProfileUpdateSerializer,
            "multipart/form-data": ProfileUpdateSerializer,
        },
        responses={200: ProfileSerializer, 400: ERROR, 413: ERROR},
        summary="Change my profile",
        description="Any of name, status and profile_picture (an image file, multipart). "
        "`profile_picture: null` (JSON) removes the picture. Pictures are checked by decoding, "
        "stored resized without metadata, and served by their `profile_picture` URL.",
    )
    def patch(self, request):
        data = validated_input(request, ProfileUpdateSerializer, partial=True)
        picture = data.get("profile_picture")
        user = services.update_profile(
            request.user,
            name=data.get("name"),
            status=data.get("status"),
            picture=picture,
            remove_picture="profile_picture" in data and picture is None,
        )
        return Response(ProfileSerializer(user, context={"request": request}).data)


@extend_schema(
    tags=["users"],
    summary="Find a user by phone number",
    description="Exact lookup: the number is normalised to E.164 first. Returns a page with "
    "the matching user, or an empty page; a malformed number is a 400. Lookups are counted "
    "per user, together with adding contacts by number (`PHONE_LOOKUP_RATE`, default 60 an "
    "hour): beyond it a 429 `rate_limited` with Retry-After. The user's picture URLs answer "
    "once you know them (as `users/{user_id}/`), e.g. after adding them as a contact.",
    parameters=[
        OpenApiParameter("phone_number", OpenApiTypes.STR, required=True, description="Any format.")
    ],
    responses={200: PublicProfileSerializer(many=True), 400: ERROR, 429: LOOKUP_THROTTLED},
)
class UserListView(generics.ListAPIView):
    serializer_class = PublicProfileSerializer

    def get_queryset(self) -> QuerySet[User]:
        raw = self.request.query_params.get("phone_number")
        if not raw:
            raise FieldErrors({"phone_number": ["This query parameter is required."]})
        return selectors.users_with_phone_number(self.request.user, raw)


@extend_schema(
    tags=["users"],
    summary="Another user's public profile",
    description="Only of a user you know: yourself, someone either of you has as a contact, "
    "someone you blocked, someone who wrote to or called you, or a member of a group you are "
    "in. Anyone else is a 404, as are ids nobody has and deactivated accounts: there is no "
    "directory by id. `status` is null when that user blocked you.",
    responses={200: PublicProfileSerializer, 404: ERROR},
)
class UserDetailView(generics.RetrieveAPIView):
    serializer_class = PublicProfileSerializer

    def get_object(self) -> User:
        return selectors.visible_user(self.request.user, self.kwargs["user_id"])


@extend_schema_view(get=extend_schema(tags=["contacts"], summary="My contacts, by name"))
class ContactListView(generics.ListAPIView):
    serializer_class = ContactSerializer

    def get_queryset(self) -> QuerySet[Contact]:
        return selectors.contacts_of(self.request.user)

    @extend_schema(
        tags=["contacts"],
        request=ContactCreateSerializer,
        responses={201: ContactSerializer, 400: ERROR, 429: LOOKUP_THROTTLED},
        summary="Add a contact",
        description="By `phone_number` (any format; a lookup by number, counted against "
        "`PHONE_LOOKUP_RATE`: 429 with Retry-After beyond it) or `contact_user_id` (only of a "
        "user you know, as `users/{user_id}/`: anyone else is the 400 `No such user.` of an id "
        "nobody has). Adding yourself, someone twice, or a number nobody uses is a 400.",
    )
    def post(self, request):
        data = validated_input(request, ContactCreateSerializer)
        if "phone_number" in data:
            contact = services.add_contact_by_phone_number(
                request.user, phone_number=data["phone_number"]
            )
        else:
            known = selectors.users_known_to(request.user)
            contact_user = known.filter(id=data["contact_user_id"]).first()
            if contact_user is None:
                raise InvalidContact("No such user.", field="contact_user_id")
            contact = services.add_contact(request.user, contact_user=contact_user)
        body = ContactSerializer(contact, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ContactDetailView(APIView):
    @extend_schema(
        tags=["contacts"],
        responses={200: ContactSerializer, 404: ERROR},
        summary="One of my contacts",
    )
    def get(self, request, contact_id: int):
        contact = selectors.contact_for(request.user, contact_id)
        return Response(ContactSerializer(contact, context={"request": request}).data)

    @extend_schema(
        tags=["contacts"],
        responses={204: None, 404: ERROR},
        summary="Remove a contact",
        description="Only your own contacts; anyone else's is a 404.",
    )
    def delete(self, request, contact_id: int):
        contact = selectors.contact_for(request.user, contact_id)
        services.remove_contact(request.user, contact=contact)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(get=extend_schema(tags=["blocks"], summary="Users I blocked, newest first"))
class BlockListView(generics.ListAPIView):
    serializer_class = BlockSerializer

    def get_queryset(self) -> QuerySet[Block]:
        return selectors.blocks_by(self.request.user)

    @extend_schema(
        tags=["blocks"],
        request=BlockCreateSerializer,
        responses={201: BlockSerializer, 400: ERROR},
        summary="Block a user",
        description="They can no longer message or call you, add you to a group, or see your "
        "stories, status or presence. Blocking someone again changes nothing. Only a user you "
        "know (as `users/{user_id}/`; whoever wrote to or called you is): anyone else is the "
        "400 `No such user.` of an id nobody has.",
    )
    def post(self, request):
        data = validated_input(request, BlockCreateSerializer)
        blocked = selectors.users_known_to(request.user).filter(id=data["user_id"]).first()
        if blocked is None:
            raise InvalidContact("No such user.", field="user_id")
        block = services.block_user(request.user, blocked=blocked)
        body = BlockSerializer(block, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class BlockDetailView(APIView):
    @extend_schema(
        tags=["blocks"],
        responses={204: None, 404: ERROR},
        summary="Unblock a user",
        description="404 when you have not blocked them.",
    )
    def delete(self, request, user_id: int):
        block = selectors.block_by(request.user, user_id)
        services.unblock_user(request.user, blocked=block.blocked)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfilePictureView(APIView):
    """The bytes of a profile picture (``?thumb=1``: the thumbnail), for users who know its owner.

    Media are not public: this view checks the session or token and that the caller knows the
    user (``accounts.selectors.visible_user``, else 404), then streams from storage.
    """

    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        tags=["users"],
        summary="A user's profile picture",
        description="Only of a user you know, as `users/{user_id}/`; anyone else is a 404.",
        parameters=[
            OpenApiParameter("thumb", OpenApiTypes.BOOL, description="The small thumbnail."),
        ],
        responses={
            (200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The image."),
            404: ERROR,
        },
    )
    def get(self, request, user_id: int):
        user = selectors.visible_user(request.user, user_id)
        thumb = request.query_params.get("thumb") in {"1", "true", "yes"}
        file = user.profile_thumbnail if thumb else user.profile_picture
        if not file:
            raise NotFound("This user has no profile picture.")
        try:
            handle = default_storage.open(file.name, "rb")
        except FileNotFoundError as exc:
            raise NotFound("This user has no profile picture.") from exc
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        response = FileResponse(handle, content_type=content_type)
        # The URL carries a version (?v=), so a changed picture is a new URL.
        response["Cache-Control"] = "private, max-age=86400"
        response["X-Content-Type-Options"] = "nosniff"
        return response
