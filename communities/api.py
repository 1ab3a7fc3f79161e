"""REST endpoints of communities: communities, their groups and announcements.

Thin: selectors decide visibility (admins and members of any of its groups; others get 404),
services do the work.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from communities import selectors, services
from communities.serializers import (
    AnnouncementCreateSerializer,
    AnnouncementSerializer,
    CommunityCreateSerializer,
    CommunityGroupCreateSerializer,
    CommunityGroupSerializer,
    CommunitySerializer,
    CommunityUpdateSerializer,
)
from groups.selectors import group_for_member
from whatsapp.api import ERROR, paginated_response, validated_input
from whatsapp.pagination import NewestFirstCursorPagination

NOT_FOUND = OpenApiResponse(
    description="No such community, or you are neither its admin nor in any of its groups."
)
FORBIDDEN = OpenApiResponse(description="You see the community but are not its admin.")


def _community_json(request, community_id: int) -> dict:
    community = selectors.community_for_member(request.user, community_id)
    return CommunitySerializer(community).data


class CommunityListView(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        tags=["communities"],
        summary="My communities",
        description="Those I administer or belong to through any of their groups, by name.",
        responses=CommunitySerializer(many=True),
    )
    def get(self, request):
        return paginated_response(
            self, request, selectors.communities_for(request.user), CommunitySerializer
        )

    @extend_schema(
        tags=["communities"],
        summary="Create a community",
        description="I become its admin.",
        request=CommunityCreateSerializer,
        responses={201: CommunitySerializer, 400: ERROR},
    )
    def post(self, request):
        data = validated_input(request, CommunityCreateSerializer)
        community = services.create_community(
            request.user, name=data["community_name"], description=data["description"]
        )
        return Response(_community_json(request, community.id), status=status.HTTP_201_CREATED)


class CommunityDetailView(APIView):
    @extend_schema(
        tags=["communities"],
        summary="A community",
        responses={200: CommunitySerializer, 404: NOT_FOUND},
    )
    def get(self, request, community_id: int):
        return Response(_community_json(request, community_id))

    @extend_schema(
        tags=["communities"],
        summary="Rename a community or change its description",
        description="Community admins only.",
        request=CommunityUpdateSerializer,
        responses={200: CommunitySerializer, 400: ERROR, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def patch(self, request, community_id: int):
        community = selectors.community_for_member(request.user, community_id)
        data = validated_input(request, CommunityUpdateSerializer)
        services.update_community(
            request.user,
            community=community,
            name=data.get("community_name"),
            description=data.get("description"),
        )
        return Response(_community_json(request, community_id))

    @extend_schema(
        tags=["communities"],
        summary="Delete a community",
        description="Community admins only. Its announcements go; its groups stay.",
        responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def delete(self, request, community_id: int):
        community = selectors.community_for_member(request.user, community_id)
        services.delete_community(request.user, community=community)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommunityGroupListView(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        tags=["communities"],
        summary="Groups of a community",
        responses={200: CommunityGroupSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, community_id: int):
        community = selectors.community_for_member(request.user, community_id)
        return paginated_response(
            self,
            request,
            selectors.community_groups(request.user, community),
            CommunityGroupSerializer,
        )

    @extend_schema(
        tags=["communities"],
        summary="Add a group to a community",
        description="Community admins only, and only a group they administer that belongs to "
        "no community yet (else 400 with code `already_in_community`).",
        request=CommunityGroupCreateSerializer,
        responses={201: CommunityGroupSerializer, 400: ERROR, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request, community_id: int):
        community = selectors.community_for_member(request.user, community_id)
        data = validated_input(request, CommunityGroupCreateSerializer)
        group = group_for_member(request.user, data["group_id"])
        services.add_community_group(request.user, community=community, group=group)
        link = selectors.community_group(request.user, community, group.id)
        return Response(CommunityGroupSerializer(link).data, status=status.HTTP_201_CREATED)


class CommunityGroupDetailView(APIView):
    @extend_schema(
        tags=["communities"],
        summary="Remove a group from a community",
        description="Community admins only; the group itself stays.",
        responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def delete(self, request, community_id: int, group_id: int):
        community = selectors.community_for_member(request.user, community_id)
        link = selectors.community_group(request.user, community, group_id)
        services.remove_community_group(request.user, community=community, group=link.group)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnnouncementListView(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    pagination_class = NewestFirstCursorPagination

    @extend_schema(
        tags=["communities"],
        summary="Announcements of a community",
        description="Newest first, cursor-paginated; for its admins and every member of its "
        "groups.",
        responses={200: AnnouncementSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, community_id: int):
        community = selectors.community_for_member(request.user, community_id)
        return paginated_response(
            self, request, selectors.announcements(community), AnnouncementSerializer
        )

    @extend_schema(
        tags=["communities"],
        summary="Post an announcement",
        description="Community admins only. JSON, or multipart with `files`. Every member of "
        "every group of the community gets `announcement.new` over /ws/.",
        request={
            "application/json": AnnouncementCreateSerializer,
            "multipart/form-data": AnnouncementCreateSerializer,
        },
        responses={201: AnnouncementSerializer, 400: ERROR, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request, community_id: int):
        community = selectors.community_for_member(request.user, community_id)
        data = validated_input(request, AnnouncementCreateSerializer)
        announcement = services.post_announcement(
            request.user, community=community, content=data["content"], files=data["files"]
        )
        return Response(AnnouncementSerializer(announcement).data, status=status.HTTP_201_CREATED)
