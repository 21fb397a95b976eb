from celery import Celery

from config.environment import configure_settings_module

configure_settings_module()

app = Celery("tabib")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
