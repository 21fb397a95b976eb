from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class FaqCategory(models.TextChoices):
    ACCOUNT = "account", _("Account")
    APPOINTMENTS = "appointments", _("Appointments")
    PAYMENTS = "payments", _("Payments")
    PRIVACY = "privacy", _("Privacy and security")
    OTHER = "other", _("Other")


class FaqEntry(BaseModel):
    """A help-center question; question and answer exist in every language (modeltranslation)."""

    category = models.CharField(_("category"), max_length=32, choices=FaqCategory.choices, default=FaqCategory.OTHER)
    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Lower comes first."))
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        ordering = ["category", "position", "created_at"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        indexes = [models.Index(fields=["is_published", "category", "position"])]

    def __str__(self) -> str:
        return self.question


class SupportCategory(models.TextChoices):
    ACCOUNT = "account", _("Account")
    APPOINTMENT = "appointment", _("Appointment")
    PAYMENT = "payment", _("Payment")
    TECHNICAL = "technical", _("Technical problem")
    OTHER = "other", _("Other")


class SupportStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class SupportRequest(BaseModel):
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_requests")
    subject = models.CharField(_("subject"), max_length=200)
    message = models.TextField(_("message"))
    category = models.CharField(
        _("category"), max_length=16, choices=SupportCategory.choices, default=SupportCategory.OTHER
    )
    appointment = models.ForeignKey(
        "appointments.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="support_requests"
    )
    status = models.CharField(_("status"), max_length=16, choices=SupportStatus.choices, default=SupportStatus.OPEN)
    staff_reply = models.TextField(_("staff reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_support_requests",
        verbose_name=_("assignee"),
        help_text=_("The staff member handling the request."),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("support request")
        verbose_name_plural = _("support requests")
        indexes = [
            models.Index(fields=["requester", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return self.subject


class PolicySlug(models.TextChoices):
    PRIVACY = "privacy", _("Privacy policy")
    TERMS = "terms", _("Terms of use")


class Policy(BaseModel):
    """One version of a policy text (EN/FR). At most one published version per slug."""

    slug = models.CharField(_("policy"), max_length=16, choices=PolicySlug.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["slug", "-version"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="policy_slug_version_unique"),
            models.UniqueConstraint(
                fields=["slug"], condition=models.Q(is_published=True), name="policy_one_published_per_slug"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="policy_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_slug_display()} v{self.version}"


class PolicyAcceptance(models.Model):
    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_acceptances")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(_("accepted at"), auto_now_add=True)

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("policy acceptance")
        verbose_name_plural = _("policy acceptances")
        constraints = [models.UniqueConstraint(fields=["user", "policy"], name="policy_acceptance_once")]

    def __str__(self) -> str:
        return f"{self.user} accepted {self.policy}"
