from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DoctorsConfig(AppConfig):
    name = "doctors"
    verbose_name = _("Doctors")

    def ready(self) -> None:
        from doctors import schema  # noqa: F401  (registers the OpenAPI auth extension)
