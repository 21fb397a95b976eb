from datetime import tzinfo

from django.conf import settings
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.representation import datetime_representation
from doctors.models import (
    REVIEW_COMMENT_MAX_LENGTH,
    VISIT_BUFFER_RANGE,
    VISIT_DURATION_RANGE,
    DoctorProfile,
    PaymentMethod,
    Review,
    Specialty,
    VisitType,
)


class SpecialtySerializer(serializers.ModelSerializer):
    doctor_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Specialty
        fields = ["id", "slug", "name", "description", "doctor_count"]


class SpecialtyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Specialty
        fields = ["id", "slug", "name"]


class MoneySerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=0, max_value=10_000_000)
    currency = serializers.ChoiceField(choices=settings.TABIB["CURRENCIES"])


def money_whole(fee: dict) -> dict:
    """A PATCH is partial and DRF carries that into a nested money, but a fee is only ever whole."""
    missing = {name: [_("This field is required.")] for name in ("amount", "currency") if name not in fee}
    if missing:
        raise serializers.ValidationError(missing, code="required")
    return fee


def _min_fee(doctor: DoctorProfile) -> dict:
    """The cheapest active visit type's fee (`doctors.services` keeps it); the fee until it is set."""
    if doctor.min_fee_amount is None:
        return {"amount": doctor.fee_amount, "currency": doctor.fee_currency}
    return {"amount": doctor.min_fee_amount, "currency": doctor.min_fee_currency or doctor.fee_currency}


def doctor_card_representation(doctor: DoctorProfile, *, favorite_ids=(), zone: tzinfo | None = None) -> dict:
    """The card, built directly: the search page and every appointment embed it, and DRF's
    field-by-field machinery cost more than the query. `DoctorCardSerializer` declares it.
    `zone`: the current zone when the caller already looked it up (`core.representation`)."""
    user = doctor.user
    specialties = getattr(doctor, "card_specialties", None)
    if specialties is None:  # loaded without `selectors.card_specialties`
        specialties = doctor.specialties.all()
    return {
        "id": str(doctor.pk),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "title": doctor.title,
        "specialties": [
            {"id": str(specialty.pk), "slug": specialty.slug, "name": specialty.name} for specialty in specialties
        ],
        "city": doctor.city,
        "country": doctor.country,
        "clinic_name": doctor.clinic_name,
        "fee": {"amount": doctor.fee_amount, "currency": doctor.fee_currency},
        "min_fee": _min_fee(doctor),
        "avg_rating": None if doctor.avg_rating is None else float(doctor.avg_rating),
        "rating_count": doctor.rating_count,
        "languages": doctor.languages,
        "next_available_slot": datetime_representation(doctor.next_available_at, zone),
        "is_favorite": str(doctor.pk) in favorite_ids,
    }


class DoctorCardSerializer(serializers.ModelSerializer):
    """The card of API.md. `is_favorite` comes from the view's context (`favorite_ids`). The fields
    declare the schema; `doctor_card_representation` builds the output (the detail shapes below
    keep DRF's own, field by field)."""

    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    specialties = SpecialtyRefSerializer(many=True, read_only=True)
    fee = serializers.SerializerMethodField(help_text="The default visit type's fee.")
    min_fee = serializers.SerializerMethodField(help_text="The fee of the cheapest active visit type.")
    avg_rating = serializers.FloatField(read_only=True)
    next_available_slot = serializers.DateTimeField(source="next_available_at", read_only=True, allow_null=True)
    is_favorite = serializers.SerializerMethodField()

    class Meta:
        model = DoctorProfile
        fields = [
            "id",
            "first_name",
            "last_name",
            "title",
            "specialties",
            "city",
            "country",
            "clinic_name",
            "fee",
            "min_fee",
            "avg_rating",
            "rating_count",
            "languages",
            "next_available_slot",
            "is_favorite",
        ]

    @extend_schema_field(MoneySerializer)
    def get_fee(self, obj: DoctorProfile) -> dict:
        return {"amount": obj.fee_amount, "currency": obj.fee_currency}

    @extend_schema_field(MoneySerializer)
    def get_min_fee(self, obj: DoctorProfile) -> dict:
        return _min_fee(obj)

    def get_is_favorite(self, obj: DoctorProfile) -> bool:
        return str(obj.pk) in self.context.get("favorite_ids", ())

    def to_representation(self, instance: DoctorProfile) -> dict:
        return doctor_card_representation(instance, favorite_ids=self.context.get("favorite_ids", ()))


class DoctorDetailSerializer(DoctorCardSerializer):
    photo_url = serializers.SerializerMethodField()

    def to_representation(self, instance: DoctorProfile) -> dict:
        return serializers.ModelSerializer.to_representation(self, instance)

    class Meta(DoctorCardSerializer.Meta):
        fields = [
            *DoctorCardSerializer.Meta.fields,
            "bio",
            "years_experience",
            "clinic_address",
            "timezone",
            "slot_minutes",
            "accepts_payment_methods",
            "photo_url",
        ]

    def get_photo_url(self, obj: DoctorProfile) -> str | None:
        if not obj.photo:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(obj.photo.url) if request else obj.photo.url


class DoctorProfileOutputSerializer(DoctorDetailSerializer):
    """The doctor's own view: the public detail plus the verification state."""

    specialty_ids = serializers.PrimaryKeyRelatedField(source="specialties", many=True, read_only=True)

    class Meta(DoctorDetailSerializer.Meta):
        fields = [f for f in DoctorDetailSerializer.Meta.fields if f != "is_favorite"] + [
            "specialty_ids",
            "latitude",
            "longitude",
            "verification_status",
            "verification_reason",
            "verified_at",
        ]


class DoctorProfileInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=60, allow_blank=True, required=False)
    bio = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    specialty_ids = serializers.ListField(child=serializers.UUIDField(), max_length=20, required=False)
    clinic_name = serializers.CharField(max_length=160, allow_blank=True, required=False)
    clinic_address = serializers.CharField(max_length=255, allow_blank=True, required=False)
    city = serializers.CharField(max_length=120, allow_blank=True, required=False)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", allow_blank=True, required=False)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, allow_null=True, required=False
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, allow_null=True, required=False
    )
    fee = MoneySerializer(required=False)
    languages = serializers.ListField(child=serializers.RegexField(r"^[a-z]{2,3}$"), max_length=20, required=False)
    years_experience = serializers.IntegerField(min_value=0, max_value=80, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    slot_minutes = serializers.IntegerField(min_value=5, max_value=240, required=False)
    accepts_payment_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=PaymentMethod.choices), min_length=1, max_length=2, required=False
    )

    def validate_fee(self, fee: dict) -> dict:
        return money_whole(fee)

    def to_service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        specialty_ids = data.pop("specialty_ids", None)
        fee = data.pop("fee", None)
        if fee is not None:
            data["fee_amount"], data["fee_currency"] = fee["amount"], fee["currency"]
        return {"data": data, "specialty_ids": specialty_ids}


class VisitTypeSerializer(serializers.ModelSerializer):
    """A visit type as patients see it (localized). `accepts_payment_methods` is what applies: its
    own, or the doctor's (the view passes the doctor in the context)."""

    fee = serializers.SerializerMethodField()
    accepts_payment_methods = serializers.SerializerMethodField()

    class Meta:
        model = VisitType
        fields = [
            "id",
            "name",
            "description",
            "duration_minutes",
            "fee",
            "new_patients_only",
            "is_default",
            "accepts_payment_methods",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneySerializer)
    def get_fee(self, obj: VisitType) -> dict:
        return {"amount": obj.fee_amount, "currency": obj.fee_currency}

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=PaymentMethod.choices)))
    def get_accepts_payment_methods(self, obj: VisitType) -> list[str]:
        return obj.payment_methods(self.context["doctor"])


class VisitTypeOwnSerializer(VisitTypeSerializer):
    """The doctor's own view: both languages, the buffer, whether it is active, and its own payment
    methods (empty: the profile's)."""

    accepts_payment_methods = serializers.ListField(  # type: ignore[assignment]
        child=serializers.ChoiceField(choices=PaymentMethod.choices), read_only=True
    )

    class Meta(VisitTypeSerializer.Meta):
        fields = [
            "id",
            "name",
            "name_en",
            "name_fr",
            "description",
            "description_en",
            "description_fr",
            "duration_minutes",
            "buffer_minutes",
            "fee",
            "new_patients_only",
            "is_default",
            "is_active",
            "accepts_payment_methods",
        ]
        read_only_fields = fields


class VisitTypeInputSerializer(serializers.Serializer):
    name_en = serializers.CharField(max_length=120)
    name_fr = serializers.CharField(max_length=120, allow_blank=True, required=False)
    description_en = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    description_fr = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    duration_minutes = serializers.IntegerField(min_value=VISIT_DURATION_RANGE[0], max_value=VISIT_DURATION_RANGE[1])
    buffer_minutes = serializers.IntegerField(
        min_value=VISIT_BUFFER_RANGE[0], max_value=VISIT_BUFFER_RANGE[1], required=False
    )
    fee = MoneySerializer()
    new_patients_only = serializers.BooleanField(required=False)
    accepts_payment_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=PaymentMethod.choices), max_length=2, required=False
    )
    is_active = serializers.BooleanField(required=False, help_text="PATCH only: true reactivates it.")

    def validate_fee(self, fee: dict) -> dict:
        return money_whole(fee)

    def to_service_data(self) -> dict:
        data = dict(self.validated_data)
        fee = data.pop("fee", None)
        if fee is not None:
            data["fee_amount"], data["fee_currency"] = fee["amount"], fee["currency"]
        return data


class DoctorPhotoInputSerializer(serializers.Serializer):
    photo = serializers.FileField(allow_empty_file=False, use_url=False)


class HtmlEscapedTextField(serializers.CharField):
    """Plain text a user wrote, HTML-escaped on output: whatever a web client does with it, it is
    never live markup (issue 17, item 10). Native clients unescape `&amp; &lt; &gt; &quot; &#x27;`."""

    def to_representation(self, value) -> str:
        return escape(super().to_representation(value))


class ReviewSerializer(serializers.ModelSerializer):
    comment = HtmlEscapedTextField(read_only=True)
    doctor_reply = HtmlEscapedTextField(read_only=True)
    patient_display_name = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "rating", "comment", "patient_display_name", "created_at", "doctor_reply", "replied_at"]

    def get_patient_display_name(self, obj: Review) -> str:
        first, last = obj.patient.first_name, obj.patient.last_name
        return escape(f"{first} {last[:1]}.".strip() if last else (first or str(_("Patient"))))


class ReviewCreateSerializer(serializers.Serializer):
    appointment_id = serializers.UUIDField()
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(
        max_length=REVIEW_COMMENT_MAX_LENGTH * 2, allow_blank=True, required=False, default=""
    )


class ReviewReplySerializer(serializers.Serializer):
    reply = serializers.CharField(max_length=REVIEW_COMMENT_MAX_LENGTH * 2)
