from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class Specialty(BaseModel):
    """Name and description are translated (EN/FR) through django-modeltranslation."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")

    def __str__(self) -> str:
        return self.name


class VerificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card")
    CLINIC = "clinic", _("At the clinic")


def default_payment_methods() -> list[str]:
    return [PaymentMethod.CARD, PaymentMethod.CLINIC]


def default_languages() -> list[str]:
    return ["en"]


class DoctorProfile(BaseModel):
    """One per doctor user. Invisible to patients until staff verify it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="doctor_profile")
    title = models.CharField(_("title"), max_length=60, blank=True, default="Dr")
    bio = models.TextField(_("biography"), blank=True)
    specialties = models.ManyToManyField(Specialty, related_name="doctors", blank=True, verbose_name=_("specialties"))
    clinic = models.ForeignKey(
        "clinics.Clinic",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="doctors",
        verbose_name=_("clinic"),
    )
    # Copies of the clinic's name and address while readers move to `clinic` (clinics.services).
    clinic_name = models.CharField(_("clinic name"), max_length=160, blank=True)
    clinic_address = models.CharField(_("clinic address"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True, db_index=True)
    country = models.CharField(_("country"), max_length=2, blank=True, db_index=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    fee_amount = models.PositiveIntegerField(_("fee (minor units)"), default=5000)
    fee_currency = models.CharField(_("currency"), max_length=3, default="EUR")
    # JSON lists work on SQLite and PostgreSQL alike; `languages` holds ISO 639-1 codes.
    languages = models.JSONField(_("languages spoken"), default=default_languages, blank=True)
    years_experience = models.PositiveSmallIntegerField(_("years of experience"), default=0)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    accepts_payment_methods = models.JSONField(_("accepted payment methods"), default=default_payment_methods)
    photo = models.ImageField(_("photo"), upload_to="doctors/", blank=True)
    verification_status = models.CharField(
        _("verification status"),
        max_length=16,
        choices=VerificationStatus.choices,
        default=VerificationStatus.PENDING,
        db_index=True,
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    verified_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    verification_reason = models.TextField(_("decision reason"), blank=True)
    avg_rating = models.DecimalField(_("average rating"), max_digits=3, decimal_places=2, default=0)
    rating_count = models.PositiveIntegerField(_("number of ratings"), default=0)
    # Denormalised by the appointments app (slot engine) so search can sort and show it cheaply.
    next_available_at = models.DateTimeField(_("next available slot"), null=True, blank=True, db_index=True)
    # The cheapest active visit type's fee, kept by doctors.services (cards show it as `min_fee`
    # without a query); empty until the first visit type write, when cards fall back to `fee`.
    min_fee_amount = models.PositiveIntegerField(_("lowest fee (minor units)"), null=True, blank=True)
    min_fee_currency = models.CharField(_("lowest fee currency"), max_length=3, blank=True, db_default="")
    # unidecode(lower(first + " " + last)), kept by doctors.services so `q` is accent- and
    # case-insensitive with a plain LIKE on SQLite and PostgreSQL alike (trigram index on PostgreSQL).
    search_name = models.CharField(_("search name"), max_length=310, blank=True, default="", editable=False)
    # Not a field: the specialties a card shows, set on a page of cards by `selectors.card_specialties_attach`.
    card_specialties: list[Specialty]

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("doctor")
        verbose_name_plural = _("doctors")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(slot_minutes__gte=5, slot_minutes__lte=240), name="doctor_slot_minutes_range"
            ),
            models.CheckConstraint(
                condition=models.Q(avg_rating__gte=0, avg_rating__lte=5), name="doctor_avg_rating_range"
            ),
        ]
        # Search only ever reads verified rows: partial indexes keep them small on both databases.
        indexes = [
            models.Index(Upper("city"), name="doctor_city_upper_idx"),
            models.Index(Upper("country"), name="doctor_country_upper_idx"),
            models.Index(
                fields=["-avg_rating", "id"],
                name="doctor_verified_rating_idx",
                condition=models.Q(verification_status="verified"),
            ),
            models.Index(
                fields=["fee_amount", "id"],
                name="doctor_verified_fee_idx",
                condition=models.Q(verification_status="verified"),
            ),
            models.Index(
                fields=["next_available_at", "id"],
                name="doctor_verified_next_idx",
                condition=models.Q(verification_status="verified"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.user.full_name}".strip()

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED


VISIT_DURATION_RANGE = (5, 240)
VISIT_BUFFER_RANGE = (0, 60)


class VisitType(BaseModel):
    """A kind of visit a doctor offers ("First consultation" 40 min 60 EUR, "Follow-up" 20 min...).

    Name and description are translated (EN/FR) through django-modeltranslation. Every doctor has
    exactly one default visit type, which is their profile's slot length and fee (doctors.services
    keeps the two equal); visit types are deactivated, never deleted, so past appointments keep theirs.
    """

    doctor = models.ForeignKey(
        DoctorProfile, on_delete=models.CASCADE, related_name="visit_types", verbose_name=_("doctor")
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        validators=[MinValueValidator(VISIT_DURATION_RANGE[0]), MaxValueValidator(VISIT_DURATION_RANGE[1])],
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer after the visit (minutes)"),
        default=0,
        validators=[MinValueValidator(VISIT_BUFFER_RANGE[0]), MaxValueValidator(VISIT_BUFFER_RANGE[1])],
    )
    fee_amount = models.PositiveIntegerField(_("fee (minor units)"))
    fee_currency = models.CharField(_("currency"), max_length=3, default="EUR")
    new_patients_only = models.BooleanField(_("new patients only"), default=False)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Empty: the doctor's own `accepts_payment_methods`.
    accepts_payment_methods = models.JSONField(_("accepted payment methods"), default=list, blank=True)

    class Meta:
        ordering = ["-is_default", "duration_minutes", "created_at"]
        verbose_name = _("visit type")
        verbose_name_plural = _("visit types")
        constraints = [
            models.UniqueConstraint(
                fields=["doctor"], condition=models.Q(is_default=True), name="visit_type_one_default_per_doctor"
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=240),
                name="visit_type_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(buffer_minutes__gte=0, buffer_minutes__lte=60), name="visit_type_buffer_range"
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=True) | models.Q(is_default=False), name="visit_type_default_is_active"
            ),
        ]
        indexes = [models.Index(fields=["doctor", "is_active"], name="visit_type_doctor_active_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def length_minutes(self) -> int:
        """What it occupies of the doctor's time: the visit and the buffer after it."""
        return self.duration_minutes + self.buffer_minutes

    def payment_methods(self, doctor: DoctorProfile) -> list[str]:
        return list(self.accepts_payment_methods or doctor.accepts_payment_methods or [])


class Favorite(BaseModel):
    """A patient's bookmarked doctor; one row per pair."""

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites")
    doctor = models.ForeignKey(DoctorProfile, on_delete=models.CASCADE, related_name="favorited_by")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("favorite")
        verbose_name_plural = _("favorites")
        constraints = [models.UniqueConstraint(fields=["patient", "doctor"], name="favorite_unique_pair")]

    def __str__(self) -> str:
        return f"{self.patient} -> {self.doctor}"


REVIEW_COMMENT_MAX_LENGTH = 2000
REVIEW_REPLY_MAX_LENGTH = 2000


class Review(BaseModel):
    """A patient's rating of one completed appointment. Hidden reviews count nowhere."""

    appointment = models.OneToOneField(
        "appointments.Appointment", on_delete=models.PROTECT, related_name="review", verbose_name=_("appointment")
    )
    doctor = models.ForeignKey(
        DoctorProfile, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("doctor")
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("patient")
    )
    rating = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("comment"), max_length=REVIEW_COMMENT_MAX_LENGTH, blank=True)
    is_hidden = models.BooleanField(_("hidden"), default=False, db_index=True)
    doctor_reply = models.TextField(_("doctor's reply"), max_length=REVIEW_REPLY_MAX_LENGTH, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="review_rating_1_5"),
        ]
        indexes = [models.Index(fields=["doctor", "is_hidden", "-created_at"], name="review_doctor_visible_idx")]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.doctor}"
