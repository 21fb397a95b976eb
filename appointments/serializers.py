"""Shapes only: input validation and output of the scheduling endpoints."""

from typing import Any

from django.apps import apps
from django.utils.text import capfirst
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import AttendeeSerializer, attendee_representation
from appointments.models import Appointment, AvailabilityRule, TimeOff
from appointments.selectors import AppointmentScope
from core.representation import current_zone, datetime_representation
from doctors.models import PaymentMethod, VisitType
from doctors.serializers import DoctorCardSerializer, doctor_card_representation


def _payment_field(name: str) -> Any:
    # Payments sits above appointments (docs/architecture.md): its model is read through the app
    # registry, as a string foreign key would, so this payload and the ledger share one definition.
    return apps.get_model("payments", "Payment")._meta.get_field(name)


class PaymentSummarySerializer(serializers.Serializer):
    """What an appointment embeds as `payment` (`appointment.payment`, select_related("payment"))."""

    id = serializers.UUIDField(read_only=True)
    status = serializers.ChoiceField(choices=_payment_field("status").choices, read_only=True)
    amount = serializers.IntegerField(read_only=True, label=capfirst(_payment_field("amount").verbose_name))
    currency = serializers.CharField(read_only=True)
    method = serializers.ChoiceField(choices=PaymentMethod.choices, read_only=True)


class AvailabilityRuleSerializer(serializers.ModelSerializer):
    start_time = serializers.TimeField(format="%H:%M")
    end_time = serializers.TimeField(format="%H:%M")

    class Meta:
        model = AvailabilityRule
        fields = ["weekday", "start_time", "end_time"]


class TimeOffSerializer(serializers.ModelSerializer):
    class Meta:
        model = TimeOff
        fields = ["id", "start", "end", "reason"]
        read_only_fields = ["id"]


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class AvailabilityDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    slots = SlotSerializer(many=True)


class AvailabilitySerializer(serializers.Serializer):
    doctor_id = serializers.UUIDField()
    timezone = serializers.CharField()
    days = AvailabilityDaySerializer(many=True)


class VisitTypeBriefSerializer(serializers.Serializer):
    """What an appointment embeds as `visit_type` (localized name)."""

    id = serializers.UUIDField()
    name = serializers.CharField()
    duration_minutes = serializers.IntegerField()


def visit_type_brief(visit_type: VisitType | None) -> dict | None:
    """A visit type as `VisitTypeBriefSerializer` declares it (appointments, waitlist entries)."""
    if visit_type is None:
        return None
    return {"id": str(visit_type.pk), "name": visit_type.name, "duration_minutes": visit_type.duration_minutes}


class PatientBriefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


def appointment_representation(appointment: Appointment) -> dict:
    """An appointment as `AppointmentSerializer` declares it, built directly (the lists' hot path)."""
    doctor, patient = appointment.doctor, appointment.patient
    payment = getattr(appointment, "payment", None)
    zone = current_zone()
    return {
        "id": str(appointment.pk),
        "doctor": doctor_card_representation(doctor, zone=zone),
        "patient": {"id": str(patient.pk), "first_name": patient.first_name, "last_name": patient.last_name},
        "visit_type": visit_type_brief(appointment.visit_type),
        "attendee": attendee_representation(appointment.relative),
        "start": datetime_representation(appointment.start, zone),
        "end": datetime_representation(appointment.end, zone),
        "timezone": doctor.timezone,
        "status": str(appointment.status),
        "payment_method": str(appointment.payment_method),
        "hold_until": datetime_representation(appointment.hold_until, zone),
        "reason": appointment.reason,
        "cancellation_reason": appointment.cancellation_reason,
        "payment": None
        if payment is None
        else {
            "id": str(payment.pk),
            "status": str(payment.status),
            "amount": payment.amount,
            "currency": payment.currency,
            "method": str(payment.method),
        },
        "created_at": datetime_representation(appointment.created_at, zone),
        "updated_at": datetime_representation(appointment.updated_at, zone),
    }


class AppointmentSerializer(serializers.ModelSerializer):
    """The fields declare the schema; `appointment_representation` builds the output."""

    doctor = DoctorCardSerializer()
    patient = PatientBriefSerializer()
    visit_type = VisitTypeBriefSerializer(allow_null=True)
    attendee = AttendeeSerializer(
        source="relative", allow_null=True, help_text="The relative attending; null when the account holder attends."
    )
    timezone = serializers.CharField(source="doctor.timezone")
    payment = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = [
            "id",
            "doctor",
            "patient",
            "visit_type",
            "attendee",
            "start",
            "end",
            "timezone",
            "status",
            "payment_method",
            "hold_until",
            "reason",
            "cancellation_reason",
            "payment",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(PaymentSummarySerializer(allow_null=True))
    def get_payment(self, appointment) -> dict | None:
        payment = getattr(appointment, "payment", None)
        return PaymentSummarySerializer(payment).data if payment is not None else None

    def to_representation(self, instance: Appointment) -> dict:
        return appointment_representation(instance)


class AppointmentBookSerializer(serializers.Serializer):
    doctor_id = serializers.UUIDField()
    start = serializers.DateTimeField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices)
    visit_type_id = serializers.UUIDField(required=False, allow_null=True, default=None)
    relative_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Book for this relative of yours (GET /patients/me/relatives).",
    )


class AppointmentRescheduleSerializer(serializers.Serializer):
    start = serializers.DateTimeField()


class AppointmentCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class AppointmentListQuerySerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=AppointmentScope.ALL, default=AppointmentScope.UPCOMING)


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    appointments = AppointmentSerializer(many=True)


class CalendarSerializer(serializers.Serializer):
    timezone = serializers.CharField()
    days = CalendarDaySerializer(many=True)


class FeedUrlSerializer(serializers.Serializer):
    url = serializers.URLField()
