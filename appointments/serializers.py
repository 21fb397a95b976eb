"""Shapes only: input validation and output of the scheduling endpoints."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from appointments.models import Appointment, AppointmentPaymentMethod, AvailabilityRule, TimeOff
from appointments.selectors import AppointmentScope


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


class SpecialtyBriefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    name = serializers.CharField()


class MoneySerializer(serializers.Serializer):
    amount = serializers.IntegerField()
    currency = serializers.CharField()


class DoctorCardSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    title = serializers.CharField()
    specialties = SpecialtyBriefSerializer(many=True, source="specialties.all")
    city = serializers.CharField()
    country = serializers.CharField()
    clinic_name = serializers.CharField()
    fee = serializers.SerializerMethodField()
    avg_rating = serializers.DecimalField(max_digits=3, decimal_places=2)
    rating_count = serializers.IntegerField()
    languages = serializers.ListField(child=serializers.CharField())
    next_available_slot = serializers.DateTimeField(source="next_available_at", allow_null=True)
    timezone = serializers.CharField()

    @extend_schema_field(MoneySerializer)
    def get_fee(self, doctor) -> dict:
        return {"amount": doctor.fee_amount, "currency": doctor.fee_currency}


class PatientBriefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class AppointmentPaymentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    method = serializers.CharField()


class AppointmentSerializer(serializers.ModelSerializer):
    doctor = DoctorCardSerializer()
    patient = PatientBriefSerializer()
    timezone = serializers.CharField(source="doctor.timezone")
    payment = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = ["id", "doctor", "patient", "start", "end", "timezone", "status", "payment_method", "hold_until",
                  "reason", "cancellation_reason", "payment", "created_at", "updated_at"]

    @extend_schema_field(AppointmentPaymentSerializer(allow_null=True))
    def get_payment(self, appointment) -> dict | None:
        # The payments app fills this in.
        return None


class AppointmentBookSerializer(serializers.Serializer):
    doctor_id = serializers.UUIDField()
    start = serializers.DateTimeField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    payment_method = serializers.ChoiceField(choices=AppointmentPaymentMethod.choices)


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
