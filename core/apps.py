from importlib import import_module

from django.apps import AppConfig, apps
from django.conf import settings
from django.utils.module_loading import module_has_submodule

from core.telemetry import tracing_configure


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        from core import checks, schema  # noqa: F401  (registers system checks, the OpenAPI auth extension)

        autodiscover_sync_modules()
        tracing_configure()


def autodiscover_sync_modules() -> None:
    """Import `<app>.sync` of every project app so each registers its sync resources.

    Only our own apps (LOCAL_APPS): third-party packages may ship an unrelated `sync` module
    (dj-stripe does)."""
    local_apps = set(settings.LOCAL_APPS)
    for app_config in apps.get_app_configs():
        if app_config.name in local_apps and module_has_submodule(app_config.module, "sync"):
            import_module(f"{app_config.name}.sync")
