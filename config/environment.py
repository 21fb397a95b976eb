"""One way to pick the settings module, for every entry point (manage.py, ASGI, WSGI, Celery).

The `.env` file is read into the environment first (variables already set win), so a `.env` that
asks for `config.settings.prod` gets production whichever entry point starts the process. Only
this module reads the file; the settings then read `os.environ` through django-environ.
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_MODULE = "config.settings.dev"


def env_file_path() -> Path:
    """`TABIB_ENV_FILE` when set (e.g. a file outside the checkout), else `.env` at the project root."""
    return Path(os.environ.get("TABIB_ENV_FILE") or BASE_DIR / ".env")


def load_env_file() -> None:
    """Read the `.env` file into `os.environ` without overwriting what the environment already says."""
    path = env_file_path()
    if path.is_file():
        environ.Env.read_env(path, overwrite=False)


def configure_settings_module() -> str:
    """Load `.env`, then default DJANGO_SETTINGS_MODULE to the dev settings; returns the module used."""
    load_env_file()
    return os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS_MODULE)
