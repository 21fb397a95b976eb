from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from doctors.models import PaymentMethod


class PaymentProvider(models.TextChoices):
    STRIPE = "stripe", _("Stripe")
    CLINIC = "clinic", _("Clinic desk")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


# Statuses of a payment whose money was captured at some point (a receipt was issued).
PAID_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


class Payment(BaseModel):
    """Our ledger row for the payment of one appointment; Stripe's own objects live in dj-stripe."""

    appointment = models.OneToOneField(
        "appointments.Appointment", on_delete=models.PROTECT, related_name="payment", verbose_name=_("appointment")
    )
    method = models.CharField(_("method"), max_length=10, choices=PaymentMethod.choices)
    provider = models.CharField(_("provider"), max_length=10, choices=PaymentProvider.choices)
    provider_payment_id = models.CharField(_("provider payment id"), max_length=255, blank=True, db_index=True)
    amount = models.PositiveIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING, db_index=True
    )
    amount_refunded = models.PositiveIntegerField(_("amount refunded (minor units)"), default=0)
    receipt_number = models.CharField(_("receipt number"), max_length=20, null=True, blank=True, unique=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, db_index=True)
    receipt_emailed_at = models.DateTimeField(_("receipt emailed at"), null=True, blank=True)
    stripe_payment_intent = models.ForeignKey(
        "djstripe.PaymentIntent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Stripe payment intent"),
    )
    stripe_charge = models.ForeignKey(
        "djstripe.Charge",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Stripe charge"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_refunded__lte=models.F("amount")), name="payment_refund_within_amount"
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_payment_id"],
                condition=~models.Q(provider_payment_id=""),
                name="payment_unique_provider_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number or self.pk} {self.amount} {self.currency} ({self.status})"

    @property
    def refundable_amount(self) -> int:
        return self.amount - self.amount_refunded


class PaymentEvent(models.Model):
    """History of a payment: every status change and every Stripe event applied to it.

    `stripe_event_id` is unique, so a Stripe event can be applied to our ledger only once.
    """

    id = models.BigAutoField(primary_key=True)
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    source = models.CharField(max_length=80, blank=True, help_text=_("Stripe event id, user, task..."))
    stripe_event_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    amount = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status} ({self.source})"


class ReceiptCounter(models.Model):
    """One row per year; locked with select_for_update to hand out gap-free receipt numbers."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"
