import json

from django.utils import translation
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.http_cache import CachePolicy, public_json_response, public_response
from core.pagination import PageNumberPagination
from core.schema import api_errors
from core.throttles import account_throttle
from doctors import selectors, services
from doctors.directory_cache import (
    SEARCH_HTTP_CACHE,
    directory_page_get,
    directory_page_set,
    directory_version,
    search_page_key,
)
from doctors.errors import DoctorErrorCode
from doctors.filters import DoctorSearchFilterSet
from doctors.permissions import IsDoctor, IsPatient
from doctors.serializers import (
    DoctorCardSerializer,
    DoctorDetailSerializer,
    DoctorPhotoInputSerializer,
    DoctorProfileInputSerializer,
    DoctorProfileOutputSerializer,
    ReviewCreateSerializer,
    ReviewReplySerializer,
    ReviewSerializer,
    SpecialtySerializer,
    VisitTypeInputSerializer,
    VisitTypeOwnSerializer,
    VisitTypeSerializer,
)

SPECIALTIES_HTTP_CACHE = CachePolicy(max_age=300)
DOCTOR_CARD_HTTP_CACHE = CachePolicy(max_age=60)


class SpecialtyListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = SpecialtySerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return selectors.specialty_list()

    @extend_schema(summary="List specialties (localized) with their number of verified doctors")
    def get(self, request, *args, **kwargs):
        data = self.get_serializer(self.get_queryset(), many=True).data
        return public_json_response(request, data=data, policy=SPECIALTIES_HTTP_CACHE)


def favorites_overlay(request, results: list[dict]) -> list[dict]:
    """`is_favorite` is per user, so cached pages hold `false` and this sets the caller's own."""
    favorite_ids = selectors.favorite_doctor_ids(user=request.user, doctor_ids=[card["id"] for card in results])
    if not favorite_ids:
        return results
    return [{**card, "is_favorite": card["id"] in favorite_ids} for card in results]


class DoctorListView(generics.ListAPIView):
    """Search. The rendered page (with `is_favorite` false) is cached under the raw query, the
    language and the host, tagged with the directory version that every write to doctors, reviews
    and specialties bumps; the caller's own favorites are overlaid per request."""

    permission_classes = [AllowAny]
    serializer_class = DoctorCardSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DoctorSearchFilterSet
    pagination_class = PageNumberPagination

    def get_queryset(self):
        return selectors.doctor_card_list()

    def page_cache_key(self) -> str:
        # Raw parameters, not cleaned ones: a hit must not pay for building the filterset. Bad
        # input never reaches the cache (the miss path validates first).
        request = self.request
        return search_page_key(
            query_lists=request.query_params.lists(),
            language=translation.get_language(),
            host=request.get_host(),
            scheme=request.scheme,
        )

    def render_page(self) -> bytes:
        filterset = self.filterset_class(
            data=self.request.query_params, queryset=self.get_queryset(), request=self.request
        )
        if not filterset.is_valid():
            raise filter_utils.translate_validation(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        selectors.card_specialties_attach(page)
        body = self.get_paginated_response(self.get_serializer(page, many=True).data).data
        return JSONRenderer().render(body)

    @extend_schema(summary="Search verified doctors (filters, ordering, paginated cards)")
    def get(self, request, *args, **kwargs):
        key = self.page_cache_key()
        content = directory_page_get(key)
        if content is None:
            version = directory_version()
            content = self.render_page()
            directory_page_set(key, content, version=version)
        if getattr(request.user, "is_patient", False):
            body = json.loads(content)
            data = {**body, "results": favorites_overlay(request, body["results"])}
            return public_json_response(request, data=data, policy=SEARCH_HTTP_CACHE)
        return public_response(request, body=content, policy=SEARCH_HTTP_CACHE)


class DoctorDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="A verified doctor's public profile", responses=DoctorDetailSerializer)
    def get(self, request, pk):
        doctor = selectors.doctor_get_public(id=pk)
        favorite_ids = selectors.favorite_doctor_ids(user=request.user, doctor_ids=[doctor.pk])
        context = {"request": request, "favorite_ids": favorite_ids}
        data = DoctorDetailSerializer(doctor, context=context).data
        return public_json_response(request, data=data, policy=DOCTOR_CARD_HTTP_CACHE)


class DoctorMeProfileView(APIView):
    permission_classes = [IsAuthenticated, IsDoctor]

    @extend_schema(summary="My doctor profile", responses=DoctorProfileOutputSerializer)
    def get(self, request):
        profile = selectors.doctor_profile_get_for_user(user=request.user)
        return Response(DoctorProfileOutputSerializer(profile, context={"request": request}).data)

    @extend_schema(
        summary="Update my doctor profile (verification status is kept)",
        request=DoctorProfileInputSerializer,
        responses=DoctorProfileOutputSerializer,
    )
    @api_errors(
        {
            400: [
                DoctorErrorCode.INVALID_TIMEZONE,
                DoctorErrorCode.INVALID_CURRENCY,
                DoctorErrorCode.INVALID_PAYMENT_METHOD,
                DoctorErrorCode.INVALID_LANGUAGE,
                DoctorErrorCode.INVALID_SPECIALTY,
            ]
        }
    )
    def patch(self, request):
        serializer = DoctorProfileInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = selectors.doctor_profile_get_for_user(user=request.user)
        services.doctor_profile_update(profile=profile, **serializer.to_service_kwargs())
        profile = selectors.doctor_profile_get_for_user(user=request.user)
        return Response(DoctorProfileOutputSerializer(profile, context={"request": request}).data)


class DoctorMePhotoView(APIView):
    permission_classes = [IsAuthenticated, IsDoctor]
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Set my public photo (JPEG, PNG or WebP by content, at most 5 MB; stored without metadata)",
        request={"multipart/form-data": DoctorPhotoInputSerializer},
        responses=DoctorProfileOutputSerializer,
    )
    # The multipart body is invisible to the schema's validation-error inference: declare its codes.
    @api_errors(
        {413: [DoctorErrorCode.FILE_TOO_LARGE], 415: [DoctorErrorCode.UNSUPPORTED_MEDIA_TYPE]},
        query=DoctorPhotoInputSerializer,
    )
    def put(self, request):
        serializer = DoctorPhotoInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = selectors.doctor_profile_get_for_user(user=request.user)
        services.doctor_photo_set(profile=profile, upload=serializer.validated_data["photo"])
        return Response(DoctorProfileOutputSerializer(profile, context={"request": request}).data)

    @extend_schema(summary="Remove my public photo", responses={204: OpenApiResponse(description="Removed")})
    def delete(self, request):
        services.doctor_photo_remove(profile=selectors.doctor_profile_get_for_user(user=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DoctorFavoriteView(APIView):
    permission_classes = [IsAuthenticated, IsPatient]

    @extend_schema(
        summary="Add a doctor to my favorites (idempotent)",
        request=None,
        responses={204: OpenApiResponse(description="Added")},
    )
    def post(self, request, pk):
        services.favorite_add(patient=request.user, doctor=selectors.doctor_get_visible(id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Remove a doctor from my favorites (idempotent)",
        request=None,
        responses={204: OpenApiResponse(description="Removed")},
    )
    def delete(self, request, pk):
        services.favorite_remove(patient=request.user, doctor=selectors.doctor_get_visible(id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PatientFavoriteListView(generics.ListAPIView):
    permission_classes = [IsAuthenticated, IsPatient]
    serializer_class = DoctorCardSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.favorite_doctors(patient=self.request.user)

    @extend_schema(summary="My favorite doctors (paginated cards)")
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        data = DoctorCardSerializer(
            page, many=True, context={"request": request, "favorite_ids": {str(d.pk) for d in page}}
        ).data
        return self.get_paginated_response(data)


class DoctorReviewListView(generics.ListAPIView):
    serializer_class = ReviewSerializer
    filter_backends: list = []
    throttle_classes = [account_throttle("review")]

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated(), IsPatient()]
        return [AllowAny()]

    def get_queryset(self):
        return selectors.review_list_public(doctor=selectors.doctor_get_visible(id=self.kwargs["pk"]))

    @extend_schema(summary="Visible reviews of a doctor, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Review my completed appointment with this doctor",
        request=ReviewCreateSerializer,
        responses={201: ReviewSerializer},
    )
    @api_errors(
        {
            400: [DoctorErrorCode.APPOINTMENT_NOT_COMPLETED, "max_length"],
            404: [DoctorErrorCode.APPOINTMENT_NOT_FOUND],
            409: [DoctorErrorCode.ALREADY_REVIEWED],
        }
    )
    def post(self, request, pk):
        serializer = ReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.review_create(
            patient=request.user, doctor=selectors.doctor_get_visible(id=pk), **serializer.validated_data
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class DoctorReviewReplyView(APIView):
    permission_classes = [IsAuthenticated, IsDoctor]
    throttle_classes = [account_throttle("review_reply")]

    @extend_schema(
        summary="Reply publicly to a review of me (once)", request=ReviewReplySerializer, responses=ReviewSerializer
    )
    @api_errors({400: ["max_length"], 404: [DoctorErrorCode.REVIEW_NOT_FOUND], 409: [DoctorErrorCode.ALREADY_REPLIED]})
    def post(self, request, pk):
        serializer = ReviewReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = selectors.doctor_profile_get_for_user(user=request.user)
        review = services.review_reply(doctor=profile, review_id=pk, reply=serializer.validated_data["reply"])
        return Response(ReviewSerializer(review).data)


VISIT_TYPE_WRITE_ERRORS = {
    400: [DoctorErrorCode.INVALID_CURRENCY, DoctorErrorCode.INVALID_PAYMENT_METHOD, "invalid", "required"],
}


class DoctorVisitTypeListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="A verified doctor's active visit types (localized), the default first",
        responses=VisitTypeSerializer(many=True),
    )
    def get(self, request, pk):
        doctor = selectors.doctor_get_visible(id=pk)
        visit_types = selectors.visit_types_public(doctor=doctor)
        data = VisitTypeSerializer(visit_types, many=True, context={"doctor": doctor}).data
        return public_json_response(request, data=data, policy=DOCTOR_CARD_HTTP_CACHE)


class DoctorMeVisitTypeListView(APIView):
    permission_classes = [IsAuthenticated, IsDoctor]

    @extend_schema(summary="My visit types, inactive ones included", responses=VisitTypeOwnSerializer(many=True))
    def get(self, request):
        profile = selectors.doctor_profile_get_for_user(user=request.user)
        return Response(VisitTypeOwnSerializer(selectors.visit_types_of(doctor=profile), many=True).data)

    @extend_schema(
        summary="Add a visit type (its own duration, buffer, fee, EN/FR name)",
        request=VisitTypeInputSerializer,
        responses={201: VisitTypeOwnSerializer},
    )
    @api_errors(VISIT_TYPE_WRITE_ERRORS)
    def post(self, request):
        serializer = VisitTypeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = selectors.doctor_profile_get_for_user(user=request.user)
        visit_type = services.visit_type_create(doctor=profile, data=serializer.to_service_data())
        return Response(VisitTypeOwnSerializer(visit_type).data, status=status.HTTP_201_CREATED)


class DoctorMeVisitTypeDetailView(APIView):
    permission_classes = [IsAuthenticated, IsDoctor]

    @extend_schema(
        summary="Edit one of my visit types (the default's duration and fee are my slot length and fee)",
        request=VisitTypeInputSerializer,
        responses=VisitTypeOwnSerializer,
    )
    @api_errors({**VISIT_TYPE_WRITE_ERRORS, 409: [DoctorErrorCode.DEFAULT_VISIT_TYPE]})
    def patch(self, request, pk):
        serializer = VisitTypeInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = selectors.doctor_profile_get_for_user(user=request.user)
        visit_type = selectors.visit_type_get_own(doctor=profile, visit_type_id=pk)
        visit_type = services.visit_type_update(
            doctor=profile, visit_type=visit_type, data=serializer.to_service_data()
        )
        return Response(VisitTypeOwnSerializer(visit_type).data)

    @extend_schema(
        summary="Deactivate one of my visit types (no new bookings; the default cannot be deactivated)",
        responses={204: OpenApiResponse(description="Deactivated")},
    )
    @api_errors({409: [DoctorErrorCode.DEFAULT_VISIT_TYPE]})
    def delete(self, request, pk):
        profile = selectors.doctor_profile_get_for_user(user=request.user)
        visit_type = selectors.visit_type_get_own(doctor=profile, visit_type_id=pk)
        services.visit_type_deactivate(doctor=profile, visit_type=visit_type)
        return Response(status=status.HTTP_204_NO_CONTENT)
