from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portal import checks  # noqa: F401  (registers system checks)
        from portal.idle import session_idle_clock_start

        user_logged_in.connect(session_idle_clock_start, dispatch_uid="portal-idle-clock-start")
