"""Local development: the embedded default unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import LOGGING, env

DEBUG = env.bool("DEBUG", default=True)
# Logs a person reads at a terminal; production keeps one JSON object a line. Eager Celery would
# otherwise print a "Task ... succeeded" line for every email the demo data sends.
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING = {
    **LOGGING,
    "handlers": {"console": {**LOGGING["handlers"]["console"], "formatter": LOG_FORMAT}},
    "loggers": {**LOGGING["loggers"], "celery.app.trace": {"level": "WARNING"}},
}
