from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Offered")
    BOOKED = "booked", _("Booked")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


# Entries that still wait for (or hold) a slot: they count against the per-account cap.
ACTIVE_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


class WaitlistEntry(BaseModel):
    """A patient waiting for a freed slot of one doctor between two local days (the doctor's zone).

    The offer is `offer_appointment`: a hold like a card booking's (`pending_payment` until
    `hold_until`), so the exclusion constraints and `slot_conflict` count it and availability hides
    it, and it lapses by itself. Its start, end and `hold_until` are the offer's start, end and
    `expires_at`; the link stays after the offer ends (to answer `offer_expired`), and the offer is
    open only while the entry is `offered` and the hold is live. `passed_starts` lists the slot
    starts this entry declined or let lapse, so one slot never comes back to the same entry.
    """

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries")
    doctor = models.ForeignKey("doctors.DoctorProfile", on_delete=models.CASCADE, related_name="waitlist_entries")
    # The visit waited for (null: the doctor's default when the slot frees) and the relative who
    # would attend it (null: the account holder). Both protected: visit types are deactivated, never
    # deleted; a relative on a waitlist cannot be removed (`relative_delete`), erasure drops the
    # entries first.
    visit_type = models.ForeignKey(
        "doctors.VisitType", null=True, blank=True, on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    relative = models.ForeignKey(
        "accounts.Relative", null=True, blank=True, on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    earliest_date = models.DateField(_("earliest date"))
    latest_date = models.DateField(_("latest date"))
    status = models.CharField(
        _("status"), max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    offer_appointment = models.ForeignKey(
        "appointments.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    booked_appointment = models.ForeignKey(
        "appointments.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    passed_starts = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(earliest_date__lte=models.F("latest_date")), name="waitlist_window_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["doctor", "status", "created_at"]),
            models.Index(fields=["patient", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.patient} waits for {self.doctor} ({self.earliest_date} - {self.latest_date})"
