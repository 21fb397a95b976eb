from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClinicsConfig(AppConfig):
    """Clinics, their staff, and the back-office (the admin site staff work in)."""

    name = "clinics"
    verbose_name = _("Clinics")
