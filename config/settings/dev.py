"""Local development: the embedded default unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import LOGGING, env

DEBUG = env.bool("DEBUG", default=True)
# Logs a person reads at a terminal; production keeps one JSON object a line. In text, eager Celery
# would otherwise print a "Task ... succeeded" line for every email the demo data sends; asked for
# JSON (LOG_FORMAT=json), dev logs every line as production does.
LOG_FORMAT = env("LOG_FORMAT", default="text")
QUIET_TASKS = {"celery.app.trace": {"level": "WARNING"}} if LOG_FORMAT == "text" else {}
LOGGING = {
    **LOGGING,
    "handlers": {"console": {**LOGGING["handlers"]["console"], "formatter": LOG_FORMAT}},
    "loggers": {**LOGGING["loggers"], **QUIET_TASKS},
}
