from importlib import import_module
from pathlib import Path

from django.apps import AppConfig, apps
from django.conf import settings
from django.utils.module_loading import module_has_submodule


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        from core import schema  # noqa: F401  (registers the OpenAPI auth extension)

        autodiscover_sync_modules()


def autodiscover_sync_modules() -> None:
    """Import `<app>.sync` of every project app so each registers its sync resources.

    Only our own apps: third-party packages may ship an unrelated `sync` module (dj-stripe does)."""
    base_dir = Path(settings.BASE_DIR).resolve()
    for app_config in apps.get_app_configs():
        if base_dir not in Path(app_config.path).resolve().parents:
            continue
        if module_has_submodule(app_config.module, "sync"):
            import_module(f"{app_config.name}.sync")
