from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.http_cache import CachePolicy, public_json_response
from core.pagination import PageNumberPagination
from core.schema import api_errors
from core.throttles import account_throttle
from support.selectors import faq_list, policy_acceptance_state, policy_get_published, support_request_list
from support.serializers import (
    FaqEntrySerializer,
    FaqQuerySerializer,
    PolicyAcceptanceOutputSerializer,
    PolicyAcceptanceStateSerializer,
    PolicyAcceptInputSerializer,
    PolicySerializer,
    SupportRequestInputSerializer,
    SupportRequestOutputSerializer,
)
from support.services import policy_accept, support_request_create

HELP_HTTP_CACHE = CachePolicy(max_age=300)
SLUG_PARAMETER = OpenApiParameter("slug", str, OpenApiParameter.PATH, enum=["privacy", "terms"])


class FaqView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Help center FAQ",
        description="Published entries in the request's language; `q` matches every word in the question or "
        "answer of that language, ignoring case and accents.",
        parameters=[FaqQuerySerializer],
        responses=FaqEntrySerializer(many=True),
    )
    @api_errors(query=FaqQuerySerializer)
    def get(self, request):
        params = FaqQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        entries = faq_list(query=params.validated_data["q"])
        data = FaqEntrySerializer(entries, many=True).data
        return public_json_response(request, data=data, policy=HELP_HTTP_CACHE)


class SupportRequestListCreateView(APIView):
    throttle_classes = [account_throttle("support_request")]
    pagination_class = PageNumberPagination

    @extend_schema(summary="My support requests", responses=SupportRequestOutputSerializer(many=True))
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(support_request_list(user=request.user), request, view=self)
        return paginator.get_paginated_response(SupportRequestOutputSerializer(page, many=True).data)

    @extend_schema(
        summary="Ask the support team",
        request=SupportRequestInputSerializer,
        responses={201: SupportRequestOutputSerializer},
    )
    @api_errors({400: ["appointment_not_found"]})
    def post(self, request):
        serializer = SupportRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        support_request = support_request_create(requester=request.user, **serializer.validated_data)
        return Response(SupportRequestOutputSerializer(support_request).data, status=status.HTTP_201_CREATED)


class PolicyDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Current version of a policy", parameters=[SLUG_PARAMETER], responses=PolicySerializer)
    def get(self, request, slug: str):
        data = PolicySerializer(policy_get_published(slug=slug)).data
        return public_json_response(request, data=data, policy=HELP_HTTP_CACHE)


class PolicyAcceptView(APIView):
    @extend_schema(
        summary="Accept the current version of a policy",
        description="Idempotent. With `version`, a version that is no longer current answers 409 `policy_outdated`.",
        parameters=[SLUG_PARAMETER],
        request=PolicyAcceptInputSerializer,
        responses=PolicyAcceptanceOutputSerializer,
    )
    @api_errors({409: ["policy_outdated"]})
    def post(self, request, slug: str):
        serializer = PolicyAcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        acceptance = policy_accept(user=request.user, slug=slug, version=serializer.validated_data["version"])
        return Response(PolicyAcceptanceOutputSerializer(acceptance).data)


class PolicyAcceptanceStateView(APIView):
    @extend_schema(summary="Which current policy versions I accepted", responses=PolicyAcceptanceStateSerializer)
    def get(self, request):
        return Response(PolicyAcceptanceStateSerializer(policy_acceptance_state(user=request.user)).data)
