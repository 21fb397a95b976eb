from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.models import BaseModel
from doctors.models import PaymentMethod


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class AvailabilityRule(BaseModel):
    """A weekly interval of consultations, in wall-clock time of the doctor's time zone."""

    doctor = models.ForeignKey("doctors.DoctorProfile", on_delete=models.CASCADE, related_name="availability_rules")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(_("end time"))

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name = _("availability rule")
        verbose_name_plural = _("availability rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_time__lt=models.F("end_time")), name="rule_start_before_end"
            ),
        ]
        indexes = [models.Index(fields=["doctor", "weekday"])]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class TimeOff(BaseModel):
    doctor = models.ForeignKey("doctors.DoctorProfile", on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        ordering = ["start"]
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        constraints = [
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="time_off_start_before_end"),
        ]
        indexes = [models.Index(fields=["doctor", "start", "end"])]

    def __str__(self) -> str:
        return f"{self.doctor} off {self.start:%Y-%m-%d %H:%M}"


class AppointmentStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Pending payment")
    CONFIRMED = "confirmed", _("Confirmed")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


# Statuses that occupy the doctor's time (a pending one only until its hold runs out).
ACTIVE_STATUSES = (AppointmentStatus.PENDING_PAYMENT, AppointmentStatus.CONFIRMED)


class Appointment(BaseModel):
    doctor = models.ForeignKey("doctors.DoctorProfile", on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments")
    # Empty on rows booked before visit types: the doctor's slot length and fee applied.
    visit_type = models.ForeignKey(
        "doctors.VisitType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("visit type"),
    )
    # Who attends when the account holder books for a relative; null when the holder attends.
    relative = models.ForeignKey(
        "accounts.Relative",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("attendee"),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    # `end` plus the visit type's buffer: how long the doctor's time is taken (the slot engine, the
    # no-overlap check and the PostgreSQL exclusion constraint read it). Empty on older rows: `end`.
    blocked_until = models.DateTimeField(_("doctor busy until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=AppointmentStatus.choices, db_index=True)
    payment_method = models.CharField(_("payment method"), max_length=10, choices=PaymentMethod.choices)
    hold_until = models.DateTimeField(_("hold until"), null=True, blank=True)
    reason = EncryptedTextField(_("reason"), blank=True)
    cancellation_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["-start"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="appointment_start_before_end"),
        ]
        indexes = [
            models.Index(fields=["doctor", "start"]),
            models.Index(fields=["patient", "start"]),
            models.Index(fields=["status", "hold_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} / {self.patient} @ {self.start:%Y-%m-%d %H:%M}"


class AppointmentStatusChange(models.Model):
    """History of an appointment's status: who or what moved it, from where to where, when."""

    id = models.BigAutoField(primary_key=True)
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=64, blank=True, help_text=_("API, portal, webhook event id, task..."))
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class CalendarFeed(BaseModel):
    """The secret token of a user's ICS subscription URL; rotating it revokes the old URL."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
