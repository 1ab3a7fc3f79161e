"""REST endpoints of 1:1 chats: inbox, history, send, forward, read, the message actions
(react, edit, delete, star) and the starred list (thin: services do the work)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from chats import selectors, services
from chats.serializers import (
    ChatRowSerializer,
    ForwardSerializer,
    MessageCreateSerializer,
    ReadResultSerializer,
    ReadSerializer,
    StarredItemSerializer,
)
from messaging.api import message_action_views
from messaging.serializers import MessageSerializer
from whatsapp.api import ERROR, SEND_THROTTLED, paginated_response, sent_response, validated_input
from whatsapp.pagination import NewestFirstCursorPagination

NOT_FOUND = OpenApiResponse(description="No such user or message, or not one of yours.")
WITH = OpenApiParameter(
    "with", OpenApiTypes.INT, required=True, description="The other user's user_id."
)


def _with_param(request) -> int:
    raw = request.query_params.get("with")
    if raw in (None, ""):
        raise serializers.ValidationError({"with": ["This query parameter is required."]})
    try:
        value = int(raw)
    except ValueError:
        raise serializers.ValidationError({"with": ["A valid integer is required."]}) from None
    if value < 1:
        raise serializers.ValidationError({"with": ["A valid user_id is required."]})
    return value


class ChatPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class ChatListView(APIView):
    pagination_class = ChatPagination

    @extend_schema(
        tags=["chats"],
        summary="My inbox",
        description="One row per 1:1 peer (`kind` user) and per group (`kind` group), newest "
        "activity first, with the last message and how many messages to me are unread.",
        responses=ChatRowSerializer(many=True),
    )
    def get(self, request):
        return paginated_response(
            self,
            request,
            selectors.chats_for(request.user),
            ChatRowSerializer,
            context={"request": request},
        )


class MessageListView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    pagination_class = NewestFirstCursorPagination

    @extend_schema(
        tags=["messages"],
        summary="1:1 history with a user",
        description="Newest first, cursor-paginated (`next` goes to older messages). Messages "
        "to me that this page returns are marked delivered.",
        parameters=[WITH],
        responses={200: MessageSerializer(many=True), 400: ERROR, 404: NOT_FOUND},
    )
    def get(self, request):
        peer = selectors.chat_peer(request.user, _with_param(request))
        return paginated_response(
            self,
            request,
            selectors.conversation(request.user, peer),
            MessageSerializer,
            on_page=lambda page: services.deliver_returned(request.user, page),
        )

    @extend_schema(
        tags=["messages"],
        summary="Send a message",
        description="JSON, or multipart with `files`. Pushed over /ws/ like a socket send. "
        "`reply_to_message_id` quotes a message of this chat that I may see (else 400 on that "
        "field). Sending again with a `client_id` already used returns the stored message "
        "(same 201 body, header `Idempotent-Replayed: true`) and stores nothing.",
        request={
            "application/json": MessageCreateSerializer,
            "multipart/form-data": MessageCreateSerializer,
        },
        responses={
            201: MessageSerializer,
            400: ERROR,
            403: ERROR,
            409: ERROR,
            413: ERROR,
            429: SEND_THROTTLED,
        },
    )
    def post(self, request):
        data = validated_input(request, MessageCreateSerializer)
        receiver = selectors.message_receiver(request.user, data["receiver_id"])
        message = services.send_message(
            request.user,
            receiver=receiver,
            content=data["content"],
            client_id=data["client_id"],
            files=data["files"],
            reply_to_id=data["reply_to_message_id"],
        )
        return sent_response(MessageSerializer, message)


class MessageForwardView(APIView):
    @extend_schema(
        tags=["messages"],
        summary="Forward a message",
        description="New messages with `forwarded_from_message_id` set, media forwarded too. At "
        "most 5 receivers; a message forwarded many times goes to one chat at a time.",
        request=ForwardSerializer,
        responses={
            201: MessageSerializer(many=True),
            400: ERROR,
            403: ERROR,
            404: NOT_FOUND,
            429: SEND_THROTTLED,
        },
    )
    def post(self, request, message_id: int):
        message = selectors.visible_message(request.user, message_id)
        data = validated_input(request, ForwardSerializer)
        receivers = selectors.message_receivers(request.user, data["receiver_ids"])
        copies = services.forward_message(request.user, message=message, receivers=receivers)
        return Response(MessageSerializer(copies, many=True).data, status=status.HTTP_201_CREATED)


class MessageReadView(APIView):
    @extend_schema(
        tags=["messages"],
        summary="Mark a chat read",
        description="Every message from that user to me becomes read (and delivered); the "
        "sender gets `message.status` frames.",
        request=ReadSerializer,
        responses={200: ReadResultSerializer, 400: ERROR, 404: NOT_FOUND},
    )
    def post(self, request):
        data = validated_input(request, ReadSerializer)
        peer = selectors.chat_peer(request.user, data["with"])
        changed = services.mark_chat_read(request.user, peer=peer)
        body = {"read_count": len(changed), "message_ids": [m.id for m in changed]}
        return Response(ReadResultSerializer(body).data)


MessageDetailView, MessageReactionView, MessageStarView = message_action_views(
    services.ONE_TO_ONE,
    MessageSerializer,
    tag="messages",
    noun="message",
    pushed="every participant's sockets get `message.updated`",
    message_id=lambda request, message_id: message_id,
)


class StarredListView(APIView):
    pagination_class = ChatPagination

    @extend_schema(
        tags=["messages"],
        summary="My starred messages",
        description="1:1 and group messages I starred, newest starred first, page-numbered. "
        "Only messages I may still see: not one I deleted for me, not one deleted for "
        "everyone, not one of a group I left.",
        responses=StarredItemSerializer(many=True),
    )
    def get(self, request):
        return paginated_response(
            self, request, selectors.starred_for(request.user), StarredItemSerializer
        )
