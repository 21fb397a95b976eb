"""Shapes only: input validation and output of the waitlist endpoints."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import AttendeeSerializer, attendee_representation
from appointments.serializers import VisitTypeBriefSerializer, visit_type_brief
from doctors.models import PaymentMethod
from doctors.serializers import DoctorCardSerializer
from waitlist.models import WaitlistEntry, WaitlistStatus
from waitlist.selectors import waitlist_position
from waitlist.sync import waitlist_offer_payload


class WaitlistJoinSerializer(serializers.Serializer):
    doctor_id = serializers.UUIDField()
    visit_type_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The visit waited for (one of the doctor's active visit types); the default when omitted.",
    )
    relative_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Wait for this relative of yours (GET /patients/me/relatives).",
    )
    earliest_date = serializers.DateField()
    latest_date = serializers.DateField()


class WaitlistAcceptSerializer(serializers.Serializer):
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class WaitlistOfferSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class WaitlistEntrySerializer(serializers.Serializer):
    """An entry as the patient sees it: `offer` is null unless an offer is open now; `position` is
    the place in line (1 = next) while the entry waits, else null; `visit_type` is null when the
    entry waits for the doctor's default visit type."""

    id = serializers.UUIDField()
    doctor = DoctorCardSerializer()
    visit_type = serializers.SerializerMethodField()
    attendee = serializers.SerializerMethodField(
        help_text="The relative who would attend; null when the account holder would."
    )
    earliest_date = serializers.DateField()
    latest_date = serializers.DateField()
    status = serializers.ChoiceField(choices=WaitlistStatus.choices)
    position = serializers.SerializerMethodField()
    offer = serializers.SerializerMethodField()
    appointment_id = serializers.UUIDField(source="booked_appointment_id", allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(VisitTypeBriefSerializer(allow_null=True))
    def get_visit_type(self, entry: WaitlistEntry) -> dict | None:
        return visit_type_brief(entry.visit_type)

    @extend_schema_field(AttendeeSerializer(allow_null=True))
    def get_attendee(self, entry: WaitlistEntry) -> dict | None:
        return attendee_representation(entry.relative)

    @extend_schema_field(serializers.IntegerField(allow_null=True, min_value=1))
    def get_position(self, entry: WaitlistEntry) -> int | None:
        return waitlist_position(entry)

    @extend_schema_field(WaitlistOfferSerializer(allow_null=True))
    def get_offer(self, entry: WaitlistEntry) -> dict | None:
        offer = waitlist_offer_payload(entry, now=timezone.now())
        return None if offer is None else WaitlistOfferSerializer(offer).data
