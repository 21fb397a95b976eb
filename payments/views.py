from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.models import Appointment
from core.exceptions import ConflictError
from core.idempotency import idempotent_call
from core.pagination import PageNumberPagination
from core.schema import api_errors
from payments import selectors, services
from payments.errors import PaymentErrorCode
from payments.receipts import receipt_pdf_render
from payments.serializers import (
    PaymentDetailOutputSerializer,
    PaymentIntentCreateInputSerializer,
    PaymentIntentOutputSerializer,
    PaymentListOutputSerializer,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The same key replays the first answer; the same key with another body -> 409 "
    "`idempotency_key_reused`. Retries are safe without it too: one intent per appointment.",
)


class PaymentIntentCreateApi(APIView):
    @extend_schema(
        summary="Create (or get) the card payment intent of my pending appointment",
        request=PaymentIntentCreateInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: PaymentIntentOutputSerializer, 200: PaymentIntentOutputSerializer},
        tags=["payments"],
    )
    @api_errors(
        {
            409: [
                services.PaymentErrorCode.APPOINTMENT_NOT_PAYABLE,
                services.PaymentErrorCode.HOLD_EXPIRED,
                services.PaymentErrorCode.CARD_PAYMENTS_DISABLED,
                "idempotency_key_reused",
            ]
        }
    )
    def post(self, request):
        serializer = PaymentIntentCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)

        def create() -> tuple[int, dict]:
            payment, client_secret, created = services.payment_intent_create(
                patient=request.user, appointment_id=serializer.validated_data["appointment_id"]
            )
            data = {
                "payment_id": payment.pk,
                "client_secret": client_secret,
                "amount": payment.amount,
                "currency": payment.currency,
                "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
                "status": payment.status,
            }
            return (
                status.HTTP_201_CREATED if created else status.HTTP_200_OK,
                PaymentIntentOutputSerializer(data).data,
            )

        result = idempotent_call(
            user=request.user,
            scope="api.payments.intent",
            key=request.headers.get("Idempotency-Key"),
            payload=dict(request.data),
            handler=create,
        )
        return Response(result.body, status=result.status)


class PaymentListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        summary="My payments (as patient or doctor)",
        request=None,
        responses=PaymentListOutputSerializer(many=True),
        tags=["payments"],
    )
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.payment_list_for_user(user=request.user), request, view=self)
        return paginator.get_paginated_response(PaymentListOutputSerializer(page, many=True).data)


class PaymentDetailApi(APIView):
    @extend_schema(
        summary="One of my payments, with its receipt data",
        request=None,
        responses=PaymentDetailOutputSerializer,
        tags=["payments"],
    )
    def get(self, request, pk):
        payment = selectors.payment_get_for_user(user=request.user, payment_id=pk)
        return Response(PaymentDetailOutputSerializer(payment).data)


class PaymentReceiptApi(APIView):
    @extend_schema(
        summary="PDF receipt of a paid payment, in the patient's language",
        request=None,
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The receipt PDF")},
        tags=["payments"],
    )
    @api_errors({409: [services.PaymentErrorCode.RECEIPT_UNAVAILABLE]})
    def get(self, request, pk):
        payment = selectors.payment_get_for_user(user=request.user, payment_id=pk)
        if not selectors.payment_receipt_available(payment=payment):
            raise ConflictError(
                _("A receipt is only available for a paid payment."), code=PaymentErrorCode.RECEIPT_UNAVAILABLE
            )
        response = HttpResponse(receipt_pdf_render(payment=payment), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{payment.receipt_number}.pdf"'
        return response


class AppointmentMarkPaidApi(APIView):
    @extend_schema(
        summary="Record that a pay-at-clinic appointment was paid at the desk (doctor)",
        request=None,
        responses=PaymentDetailOutputSerializer,
        tags=["payments"],
    )
    @api_errors(
        {
            403: ["permission_denied"],
            409: [
                services.PaymentErrorCode.NOT_CLINIC_PAYMENT,
                services.PaymentErrorCode.APPOINTMENT_NOT_PAYABLE,
                "invalid_transition",
            ],
        }
    )
    def post(self, request, pk):
        appointment = get_object_or_404(Appointment, pk=pk)
        payment = services.payment_mark_clinic_paid(appointment=appointment, by=request.user)
        return Response(PaymentDetailOutputSerializer(payment).data)
