"""Thin views: parse, call one service or selector, serialize."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.errors import AppointmentErrorCode as BookingCode
from appointments.selectors import bookable_doctor_get
from appointments.serializers import AppointmentSerializer
from core.pagination import PageNumberPagination
from core.schema import api_errors
from core.throttles import account_throttle
from doctors.errors import DoctorErrorCode as DoctorCode
from waitlist import selectors, services
from waitlist.errors import WaitlistErrorCode as Code
from waitlist.serializers import WaitlistAcceptSerializer, WaitlistEntrySerializer, WaitlistJoinSerializer

OFFER_CLOSED = [Code.OFFER_EXPIRED, Code.NO_OFFER]


class WaitlistListView(APIView):
    throttle_classes = [account_throttle("booking")]
    pagination_class = PageNumberPagination

    @extend_schema(summary="My waitlist entries, newest first", responses=WaitlistEntrySerializer(many=True))
    def get(self, request):
        services.waitlist_offers_pass_lapsed(doctor_ids=selectors.waitlist_doctor_ids_of(patient=request.user))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.waitlist_entries_of(patient=request.user), request, view=self)
        selectors.waitlist_cards_complete(page)
        return paginator.get_paginated_response(WaitlistEntrySerializer(page, many=True).data)

    @extend_schema(
        summary="Wait for a freed slot of a doctor (window of at most 60 days, at most 5 entries)",
        request=WaitlistJoinSerializer,
        responses={201: WaitlistEntrySerializer},
    )
    @api_errors(
        {
            400: [
                Code.IN_PAST,
                Code.BEYOND_HORIZON,
                Code.INVALID_RANGE,
                Code.WINDOW_TOO_LONG,
                DoctorCode.INVALID_VISIT_TYPE,
                BookingCode.INVALID_RELATIVE,
            ],
            403: [Code.PATIENTS_ONLY],
            409: [Code.WAITLIST_LIMIT],
        }
    )
    def post(self, request):
        serializer = WaitlistJoinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry = services.waitlist_join(
            patient=request.user,
            doctor=bookable_doctor_get(doctor_id=data["doctor_id"]),
            earliest_date=data["earliest_date"],
            latest_date=data["latest_date"],
            visit_type_id=data["visit_type_id"],
            relative_id=data["relative_id"],
        )
        entry = selectors.waitlist_entry_get(patient=request.user, entry_id=entry.pk)
        return Response(WaitlistEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class WaitlistDetailView(APIView):
    @extend_schema(summary="Leave the waitlist (an open offer goes to the next in line)", responses={204: None})
    def delete(self, request, pk):
        services.waitlist_leave(patient=request.user, entry_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WaitlistAcceptView(APIView):
    throttle_classes = [account_throttle("booking")]

    @extend_schema(
        summary="Accept the open offer: book it (card -> payment hold, clinic -> confirmed)",
        request=WaitlistAcceptSerializer,
        responses={201: AppointmentSerializer},
    )
    @api_errors(
        {
            400: [
                BookingCode.IN_PAST,
                BookingCode.INSIDE_MIN_NOTICE,
                BookingCode.BEYOND_HORIZON,
                BookingCode.SLOT_UNAVAILABLE,
                BookingCode.PAYMENT_METHOD_NOT_ACCEPTED,
                DoctorCode.INVALID_VISIT_TYPE,  # the entry's visit type deactivated since the offer
            ],
            403: [BookingCode.PATIENTS_ONLY],
            409: [
                *OFFER_CLOSED,
                BookingCode.SLOT_UNAVAILABLE,
                BookingCode.PATIENT_OVERLAP,
                BookingCode.NOT_A_NEW_PATIENT,
                BookingCode.TOO_MANY_UPCOMING_WITH_DOCTOR,
                BookingCode.TOO_MANY_UNPAID_HOLDS,
            ],
        }
    )
    def post(self, request, pk):
        serializer = WaitlistAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = services.waitlist_offer_accept(
            patient=request.user,
            entry_id=pk,
            payment_method=serializer.validated_data["payment_method"],
            reason=serializer.validated_data["reason"],
        )
        return Response(AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)


class WaitlistDeclineView(APIView):
    @extend_schema(
        summary="Decline the open offer (the slot goes to the next in line)", request=None, responses={204: None}
    )
    @api_errors({409: OFFER_CLOSED})
    def post(self, request, pk):
        services.waitlist_offer_decline(patient=request.user, entry_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
