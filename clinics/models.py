from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


def default_languages() -> list[str]:
    return ["fr", "en"]


class Clinic(BaseModel):
    """A practice doctors belong to (one clinic per doctor in this version). Its staff see and act on
    its doctors, appointments, payments, reviews and support requests in the back-office.

    `name` and `address` are copied to each doctor's `clinic_name`/`clinic_address` by
    `clinics.services` (the API, receipts and calendars still read those columns: expand step)."""

    name = models.CharField(_("name"), max_length=160)
    address = models.CharField(_("address"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    languages = models.JSONField(_("languages spoken"), default=default_languages, blank=True)
    description = models.TextField(_("description"), blank=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="staff_clinics", blank=True, verbose_name=_("staff")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        permissions = [("view_all_clinics", _("Can see and act on every clinic (platform admin)"))]
        constraints = [models.UniqueConstraint(fields=["name", "city"], name="clinic_unique_name_city")]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})" if self.city else self.name
