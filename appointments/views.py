"""Thin views: parse, call one service or selector, serialize."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments import selectors, services
from appointments.availability_cache import AVAILABILITY_HTTP_CACHE, availability_json
from appointments.errors import AppointmentErrorCode as Code
from appointments.ics import appointment_ics, calendar_feed_ics
from appointments.serializers import (
    AppointmentBookSerializer,
    AppointmentCancelSerializer,
    AppointmentListQuerySerializer,
    AppointmentRescheduleSerializer,
    AppointmentSerializer,
    AvailabilityRuleSerializer,
    AvailabilitySerializer,
    CalendarSerializer,
    FeedUrlSerializer,
    TimeOffSerializer,
)
from core.http_cache import public_response
from core.idempotency import idempotent_call
from core.pagination import CountInPagePagination
from core.schema import api_errors
from core.throttles import account_throttle
from doctors.errors import DoctorErrorCode

DATE_RANGE = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First local day (YYYY-MM-DD)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last local day, inclusive."),
]
ICS_RESPONSE = {(200, "text/calendar"): OpenApiTypes.BINARY}
# What a bad `from`/`to` answers (a DateField's codes; `invalid` also when one of them is missing).
DATE_CODES = ["invalid", "datetime"]
DOCTOR_ONLY = {403: [Code.DOCTORS_ONLY]}
DOCTOR_CLOSES = {403: [Code.DOCTORS_ONLY], 409: [Code.NOT_STARTED, "invalid_transition"]}
BOOKING_ERRORS = {
    400: [
        Code.IN_PAST,
        Code.INSIDE_MIN_NOTICE,
        Code.BEYOND_HORIZON,
        Code.SLOT_UNAVAILABLE,
        Code.PAYMENT_METHOD_NOT_ACCEPTED,
    ],
    403: [Code.PATIENTS_ONLY],
    409: [Code.SLOT_UNAVAILABLE, Code.PATIENT_OVERLAP],
}
BOOK_ERRORS = {
    **BOOKING_ERRORS,
    400: [*BOOKING_ERRORS[400], DoctorErrorCode.INVALID_VISIT_TYPE, Code.INVALID_RELATIVE],
    409: [*BOOKING_ERRORS[409], Code.NOT_A_NEW_PATIENT, "idempotency_key_reused"],
}


def _date_param(request, name: str):
    value = request.query_params.get(name)
    if not value:
        return None
    field = serializers.DateField()
    try:
        return field.to_internal_value(value)
    except serializers.ValidationError as error:
        raise serializers.ValidationError({name: error.detail}) from error


def _uuid_param(request, name: str):
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return serializers.UUIDField().to_internal_value(value)
    except serializers.ValidationError as error:
        raise serializers.ValidationError({name: error.detail}) from error


class DoctorAvailabilityView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Free slots of a doctor for a visit type (the default one without it), per local day (max 31 days)",
        parameters=[
            *DATE_RANGE,
            OpenApiParameter(
                "visit_type",
                OpenApiTypes.UUID,
                description="One of the doctor's active visit types: slots last its duration and keep its buffer free.",
            ),
        ],
        responses=AvailabilitySerializer,
    )
    @api_errors(
        {400: [Code.INVALID_RANGE, Code.RANGE_TOO_LONG, DoctorErrorCode.INVALID_VISIT_TYPE]}, validation=DATE_CODES
    )
    def get(self, request, pk):
        body = availability_json(
            doctor_id=pk,
            date_from=_date_param(request, "from"),
            date_to=_date_param(request, "to"),
            visit_type_id=_uuid_param(request, "visit_type"),
        )
        return public_response(request, body=body, policy=AVAILABILITY_HTTP_CACHE)


class MyAvailabilityView(APIView):
    @extend_schema(summary="My weekly availability rules", responses=AvailabilityRuleSerializer(many=True))
    @api_errors(DOCTOR_ONLY)
    def get(self, request):
        doctor = selectors.doctor_profile_of(user=request.user)
        return Response(AvailabilityRuleSerializer(selectors.availability_rules_of(doctor=doctor), many=True).data)

    @extend_schema(
        summary="Replace my weekly availability rules (overlapping rules -> 400)",
        request=AvailabilityRuleSerializer(many=True),
        responses=AvailabilityRuleSerializer(many=True),
    )
    @api_errors({**DOCTOR_ONLY, 400: [Code.INVALID_RANGE, Code.OVERLAPPING_RULES]})
    def put(self, request):
        doctor = selectors.doctor_profile_of(user=request.user)
        serializer = AvailabilityRuleSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        services.availability_rules_replace(doctor=doctor, rules=serializer.validated_data)
        return Response(AvailabilityRuleSerializer(selectors.availability_rules_of(doctor=doctor), many=True).data)


class MyTimeOffView(APIView):
    @extend_schema(summary="My time off", responses=TimeOffSerializer(many=True))
    @api_errors(DOCTOR_ONLY)
    def get(self, request):
        doctor = selectors.doctor_profile_of(user=request.user)
        return Response(TimeOffSerializer(selectors.time_off_of(doctor=doctor), many=True).data)

    @extend_schema(summary="Add time off", request=TimeOffSerializer, responses={201: TimeOffSerializer})
    @api_errors({**DOCTOR_ONLY, 400: [Code.INVALID_RANGE]})
    def post(self, request):
        doctor = selectors.doctor_profile_of(user=request.user)
        serializer = TimeOffSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        time_off = services.time_off_create(doctor=doctor, **serializer.validated_data)
        return Response(TimeOffSerializer(time_off).data, status=status.HTTP_201_CREATED)


class MyTimeOffDetailView(APIView):
    @extend_schema(summary="Remove time off", responses={204: None})
    @api_errors(DOCTOR_ONLY)
    def delete(self, request, pk):
        doctor = selectors.doctor_profile_of(user=request.user)
        services.time_off_delete(doctor=doctor, time_off_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AppointmentListView(APIView):
    throttle_classes = [account_throttle("booking")]
    pagination_class = CountInPagePagination

    @extend_schema(
        summary="My appointments (as patient or doctor)",
        parameters=[OpenApiParameter("scope", OpenApiTypes.STR, enum=list(selectors.AppointmentScope.ALL))],
        responses=AppointmentSerializer(many=True),
    )
    @api_errors(query=AppointmentListQuerySerializer)
    def get(self, request):
        query = AppointmentListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        appointments = selectors.appointment_list_for_user(user=request.user, scope=query.validated_data["scope"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(appointments, request, view=self)
        selectors.appointment_cards_complete(page)
        return paginator.get_paginated_response(AppointmentSerializer(page, many=True).data)

    @extend_schema(
        summary="Book an appointment (honours Idempotency-Key)",
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        request=AppointmentBookSerializer,
        responses={201: AppointmentSerializer},
    )
    @api_errors(BOOK_ERRORS)
    def post(self, request):
        serializer = AppointmentBookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def book() -> tuple[int, dict]:
            doctor = selectors.bookable_doctor_get(doctor_id=data["doctor_id"])
            appointment = services.appointment_book(
                patient=request.user,
                doctor=doctor,
                start=data["start"],
                reason=data["reason"],
                payment_method=data["payment_method"],
                visit_type_id=data["visit_type_id"],
                relative_id=data["relative_id"],
            )
            return status.HTTP_201_CREATED, AppointmentSerializer(appointment).data

        result = idempotent_call(
            user=request.user,
            scope="api.appointments.book",
            key=request.headers.get("Idempotency-Key"),
            payload=dict(request.data),
            handler=book,
        )
        return Response(result.body, status=result.status)


class AppointmentDetailView(APIView):
    @extend_schema(summary="One of my appointments", responses=AppointmentSerializer)
    def get(self, request, pk):
        appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=pk)
        return Response(AppointmentSerializer(appointment).data)

    @extend_schema(
        summary="Reschedule to another free slot (patient)",
        request=AppointmentRescheduleSerializer,
        responses=AppointmentSerializer,
    )
    @api_errors({**BOOKING_ERRORS, 409: [*BOOKING_ERRORS[409], Code.NOT_ACTIVE, Code.CUTOFF_PASSED]})
    def patch(self, request, pk):
        appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=pk)
        serializer = AppointmentRescheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.appointment_reschedule(
            appointment=appointment, by=request.user, start=serializer.validated_data["start"]
        )
        appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=pk)
        return Response(AppointmentSerializer(appointment).data)


class AppointmentCancelView(APIView):
    @extend_schema(
        summary="Cancel an appointment (either participant)",
        request=AppointmentCancelSerializer,
        responses=AppointmentSerializer,
    )
    @api_errors({409: [Code.ALREADY_STARTED, "invalid_transition"]})
    def post(self, request, pk):
        appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=pk)
        serializer = AppointmentCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.appointment_cancel(
            appointment=appointment, by=request.user, reason=serializer.validated_data["reason"]
        )
        appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=pk)
        return Response(AppointmentSerializer(appointment).data)


class AppointmentCompleteView(APIView):
    @extend_schema(summary="Mark completed (doctor, after the start)", request=None, responses=AppointmentSerializer)
    @api_errors(DOCTOR_CLOSES)
    def post(self, request, pk):
        appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=pk)
        services.appointment_complete(appointment=appointment, by=request.user)
        appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=pk)
        return Response(AppointmentSerializer(appointment).data)


class AppointmentNoShowView(APIView):
    @extend_schema(
        summary="Mark the patient absent (doctor, after the start)", request=None, responses=AppointmentSerializer
    )
    @api_errors(DOCTOR_CLOSES)
    def post(self, request, pk):
        appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=pk)
        services.appointment_mark_no_show(appointment=appointment, by=request.user)
        appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=pk)
        return Response(AppointmentSerializer(appointment).data)


class AppointmentIcsView(APIView):
    @extend_schema(summary="The appointment as an ICS event", responses=ICS_RESPONSE)
    def get(self, request, pk):
        appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=pk)
        response = HttpResponse(
            appointment_ics(appointment=appointment, reader=request.user), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.pk}.ics"'
        return response


class CalendarAppointmentsView(APIView):
    @extend_schema(
        summary="My appointments grouped by day in my time zone",
        parameters=[*DATE_RANGE, OpenApiParameter("tz", OpenApiTypes.STR, description="IANA zone override.")],
        responses=CalendarSerializer,
    )
    @api_errors({400: [Code.INVALID_RANGE, Code.RANGE_TOO_LONG, Code.INVALID_TIMEZONE]}, validation=DATE_CODES)
    def get(self, request):
        date_from, date_to = _date_param(request, "from"), _date_param(request, "to")
        if date_from is None or date_to is None:
            raise serializers.ValidationError({"from": ["Both `from` and `to` are required."]})
        zone = selectors.calendar_zone(user=request.user, tz=request.query_params.get("tz"))
        date_from, date_to = selectors.calendar_window(date_from=date_from, date_to=date_to)
        days = selectors.appointment_calendar_for_user(
            user=request.user, date_from=date_from, date_to=date_to, zone=zone
        )
        return Response(
            {
                "timezone": zone.key,
                "days": [
                    {"date": day.isoformat(), "appointments": AppointmentSerializer(items, many=True).data}
                    for day, items in days
                ],
            }
        )


def _feed_url(request, feed) -> dict:
    return {"url": request.build_absolute_uri(f"/api/v1/calendar/feed/{feed.token}.ics")}


class CalendarFeedUrlView(APIView):
    @extend_schema(summary="My secret ICS subscription URL", responses=FeedUrlSerializer)
    def get(self, request):
        return Response(_feed_url(request, services.calendar_feed_get_or_create(user=request.user)))


class CalendarFeedRotateView(APIView):
    @extend_schema(
        summary="Revoke my ICS subscription URL and get a new one", request=None, responses=FeedUrlSerializer
    )
    def post(self, request):
        return Response(_feed_url(request, services.calendar_feed_rotate(user=request.user)))


class CalendarFeedView(APIView):
    """Calendar apps cannot send headers: the secret token in the URL is the credential."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(summary="ICS subscription feed (no auth header; the token is the secret)", responses=ICS_RESPONSE)
    def get(self, request, token):
        user, appointments = selectors.calendar_feed_appointments(token=token)
        return HttpResponse(
            calendar_feed_ics(appointments=appointments, reader=user), content_type="text/calendar; charset=utf-8"
        )
