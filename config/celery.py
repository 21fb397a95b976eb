from celery import Celery, bootsteps

from config.environment import configure_settings_module

configure_settings_module()

# Every task derives from TabibTask: request id carried from the web request, outcomes counted.
app = Celery("tabib", task_cls="core.celery_task:TabibTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class MetricsServer(bootsteps.StartStopStep):
    """Serves the worker's metrics on CELERY_METRICS_PORT (0 = off), behind the same bearer token as
    the web's `/metrics`. Runs in the worker's main process, before the pool starts."""

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.server = None

    def start(self, parent) -> None:
        from django.conf import settings

        if settings.CELERY_METRICS_PORT:
            from core.metrics_server import metrics_server_start

            # Every interface: Prometheus scrapes the pod's address; the token guards it.
            self.server = metrics_server_start(host="0.0.0.0", port=settings.CELERY_METRICS_PORT)  # noqa: S104

    def stop(self, parent) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


app.steps["worker"].add(MetricsServer)
