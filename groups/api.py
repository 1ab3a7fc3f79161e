"""REST endpoints of groups: groups, members, messages, forwards, read marks, receipts and the
message actions (react, edit, delete, star).

Thin: selectors decide visibility (non-members get 404), services do the work.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from groups import selectors, services
from groups.serializers import (
    GroupCreateSerializer,
    GroupForwardSerializer,
    GroupMemberCreateSerializer,
    GroupMemberSerializer,
    GroupMemberUpdateSerializer,
    GroupMessageCreateSerializer,
    GroupReadResultSerializer,
    GroupSerializer,
    GroupUpdateSerializer,
    ReceiptSerializer,
)
from messaging.api import message_action_views
from messaging.serializers import GroupMessageSerializer
from whatsapp.api import ERROR, SEND_THROTTLED, paginated_response, sent_response, validated_input
from whatsapp.errors import NotFound
from whatsapp.pagination import NewestFirstCursorPagination

NOT_FOUND = OpenApiResponse(description="No such group or message, or you are not a member.")
FORBIDDEN = OpenApiResponse(description="A member, but not allowed (e.g. not an admin).")


class ReceiptPagination(PageNumberPagination):
    # One page holds every member of a full group.
    page_size = 1024


def _group_json(request, group) -> dict:
    group = selectors.group_for_member(request.user, group.id)
    return GroupSerializer(group, context={"request": request}).data


class GroupListView(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        tags=["groups"],
        summary="My groups",
        description="The groups I am a member of, by name.",
        responses=GroupSerializer(many=True),
    )
    def get(self, request):
        return paginated_response(
            self, request, selectors.groups_for(request.user), GroupSerializer
        )

    @extend_schema(
        tags=["groups"],
        summary="Create a group",
        description="I become its admin. `member_ids` must be people from my contacts who have "
        "not blocked me (and whom I have not blocked); a group holds at most 1,024 members "
        "(setting GROUP_MAX_MEMBERS), more is a 400 with code `group_full`.",
        request=GroupCreateSerializer,
        responses={201: GroupSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
    )
    def post(self, request):
        data = validated_input(request, GroupCreateSerializer)
        members = selectors.users_by_ids(data["member_ids"], field="member_ids")
        group = services.create_group(request.user, name=data["group_name"], members=members)
        return Response(_group_json(request, group), status=status.HTTP_201_CREATED)


class GroupDetailView(APIView):
    @extend_schema(
        tags=["groups"],
        summary="A group",
        responses={200: GroupSerializer, 404: NOT_FOUND},
    )
    def get(self, request, group_id: int):
        group = selectors.group_for_member(request.user, group_id)
        return Response(GroupSerializer(group).data)

    @extend_schema(
        tags=["groups"],
        summary="Rename a group",
        description="Admins only.",
        request=GroupUpdateSerializer,
        responses={200: GroupSerializer, 400: ERROR, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def patch(self, request, group_id: int):
        group = selectors.group_for_member(request.user, group_id)
        data = validated_input(request, GroupUpdateSerializer)
        services.rename_group(request.user, group=group, name=data["group_name"])
        return Response(_group_json(request, group))

    @extend_schema(
        tags=["groups"],
        summary="Delete a group",
        description="Admins only: the group, its messages and receipts are deleted.",
        responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def delete(self, request, group_id: int):
        group = selectors.group_for_member(request.user, group_id)
        services.delete_group(request.user, group=group)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMemberListView(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        tags=["groups"],
        summary="Members of a group",
        description="Longest-standing first.",
        responses={200: GroupMemberSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, group_id: int):
        group = selectors.group_for_member(request.user, group_id)
        return paginated_response(
            self,
            request,
            selectors.group_members(group),
            GroupMemberSerializer,
            context={"request": request},
        )

    @extend_schema(
        tags=["groups"],
        summary="Add a member",
        description="Admins only; someone from my contacts who has not blocked me. 400 with "
        "code `group_full` beyond the member limit, `not_a_contact` or `already_member`.",
        request=GroupMemberCreateSerializer,
        responses={201: GroupMemberSerializer, 400: ERROR, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request, group_id: int):
        group = selectors.group_for_member(request.user, group_id)
        data = validated_input(request, GroupMemberCreateSerializer)
        member = selectors.users_by_ids([data["user_id"]], field="user_id")[0]
        membership = services.add_group_member(request.user, group=group, member=member)
        body = GroupMemberSerializer(membership, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class GroupMemberDetailView(APIView):
    def _target(self, request, group_id: int, user_id: int):
        group = selectors.group_for_member(request.user, group_id)
        return group, selectors.group_member(group, user_id)

    @extend_schema(
        tags=["groups"],
        summary="Promote or demote a member",
        description="Admins only. A group keeps at least one admin.",
        request=GroupMemberUpdateSerializer,
        responses={200: GroupMemberSerializer, 400: ERROR, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def patch(self, request, group_id: int, user_id: int):
        group, membership = self._target(request, group_id, user_id)
        data = validated_input(request, GroupMemberUpdateSerializer)
        membership = services.set_group_admin(
            request.user,
            group=group,
            member=membership.user,
            is_admin=data["is_admin"],
        )
        return Response(GroupMemberSerializer(membership, context={"request": request}).data)

    @extend_schema(
        tags=["groups"],
        summary="Remove a member, or leave",
        description="Admins remove members; anyone removes themselves (leaves). Afterwards "
        "the group is a 404 for them and they receive nothing more from it.",
        responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def delete(self, request, group_id: int, user_id: int):
        group, membership = self._target(request, group_id, user_id)
        services.remove_group_member(request.user, group=group, member=membership.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMessageListView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    pagination_class = NewestFirstCursorPagination

    @extend_schema(
        tags=["groups"],
        summary="Group history",
        description="Newest first, cursor-paginated (`next` goes to older messages); only what "
        "was sent since I joined. Messages this page returns are marked delivered to me.",
        responses={200: GroupMessageSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, group_id: int):
        group = selectors.group_for_member(request.user, group_id)
        return paginated_response(
            self,
            request,
            selectors.group_history(request.user, group),
            GroupMessageSerializer,
            on_page=lambda page: services.deliver_returned(request.user, page),
        )

    @extend_schema(
        tags=["groups"],
        summary="Send a group message",
        description="JSON, or multipart with `files`. Pushed over /ws/ (`group_message.new`) "
        "like a socket send. `reply_to_group_message_id` quotes a message of this group that I "
        "may see (else 400 on that field). Sending again with a `client_id` already used "
        "returns the stored message (same 201 body, header `Idempotent-Replayed: true`) and "
        "stores nothing.",
        request={
            "application/json": GroupMessageCreateSerializer,
            "multipart/form-data": GroupMessageCreateSerializer,
        },
        responses={
            201: GroupMessageSerializer,
            400: ERROR,
            404: NOT_FOUND,
            409: ERROR,
            413: ERROR,
            429: SEND_THROTTLED,
        },
    )
    def post(self, request, group_id: int):
        group = selectors.group_for_member(request.user, group_id)
        data = validated_input(request, GroupMessageCreateSerializer)
        message = services.send_group_message(
            request.user,
            group=group,
            content=data["content"],
            client_id=data["client_id"],
            files=data["files"],
            reply_to_id=data["reply_to_group_message_id"],
        )
        return sent_response(GroupMessageSerializer, message)


class GroupMessageForwardView(APIView):
    @extend_schema(
        tags=["groups"],
        summary="Forward a group message into other groups",
        description="New messages with `forwarded_from_group_message_id` set, media forwarded "
        "too, in groups I am a member of. At most 5 groups; a message forwarded many times "
        "goes to one group at a time.",
        request=GroupForwardSerializer,
        responses={
            201: GroupMessageSerializer(many=True),
            400: ERROR,
            404: NOT_FOUND,
            429: SEND_THROTTLED,
        },
    )
    def post(self, request, group_id: int, group_message_id: int):
        message = selectors.visible_group_message(request.user, group_id, group_message_id)
        data = validated_input(request, GroupForwardSerializer)
        targets = selectors.member_groups_by_ids(request.user, data["group_ids"], field="group_ids")
        copies = services.forward_group_message(request.user, message=message, groups=targets)
        body = GroupMessageSerializer(copies, many=True).data
        return Response(body, status=status.HTTP_201_CREATED)


class GroupReadView(APIView):
    @extend_schema(
        tags=["groups"],
        summary="Mark a group read",
        description="Every message of the group becomes read (and delivered) for me; senders "
        "get `group_message.status` when the group-wide read_at is set.",
        request=None,
        responses={200: GroupReadResultSerializer, 404: NOT_FOUND},
    )
    def post(self, request, group_id: int):
        group = selectors.group_for_member(request.user, group_id)
        count = services.mark_group_read(request.user, group=group)
        return Response(GroupReadResultSerializer({"read_count": count}).data)


class GroupMessageReceiptsView(APIView):
    pagination_class = ReceiptPagination

    @extend_schema(
        tags=["groups"],
        summary="Message info: who received and who read it",
        description="Per member: user_id, name, delivered_at, read_at. Only for the sender "
        "(other members get 403, non-members 404).",
        responses={200: ReceiptSerializer(many=True), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, group_id: int, group_message_id: int):
        message = selectors.visible_group_message(request.user, group_id, group_message_id)
        receipts = selectors.message_receipts(request.user, message)
        return paginated_response(self, request, receipts, ReceiptSerializer)


def _message_id(request, group_id: int, group_message_id: int) -> int:
    """The id of a message of the group in the URL; NotFound for one of another group. The
    action then loads it as the caller may see it (members only, since they joined): one load,
    not two."""
    if not selectors.is_group_message(group_id, group_message_id):
        raise NotFound("No such message.")
    return group_message_id


GroupMessageDetailView, GroupMessageReactionView, GroupMessageStarView = message_action_views(
    services.IN_GROUP,
    GroupMessageSerializer,
    tag="groups",
    noun="group message",
    pushed="the group gets `group_message.updated`",
    message_id=_message_id,
)
