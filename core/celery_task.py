"""The base class of every Celery task (config/celery.py): the request id and the task's outcome.

A task queued while serving a request carries that request's id in a message header; the worker
puts it back in `current_request_id` while the task runs, so the worker's log lines name the request
that caused them (the trace context travels the same way, through OpenTelemetry's Celery
instrumentation). Each run is counted by outcome and timed in core.metrics.
"""

import time

from celery import Task
from celery._state import get_current_task

from core import metrics
from core.middleware import current_request_id

REQUEST_ID_HEADER = "tabib_request_id"


def task_request_id(request) -> str:
    """The request id a task's message carries (a worker exposes custom headers as attributes of
    the task's request; an eager run keeps them in `.headers`)."""
    return getattr(request, REQUEST_ID_HEADER, None) or (request.headers or {}).get(REQUEST_ID_HEADER) or ""


def running_task_context() -> tuple[str, str, str]:
    """(task id, task name, request id) of the task running now, from Celery's own task stack,
    which covers the whole run (including Celery's own "succeeded" line); empty outside a task."""
    task = get_current_task()
    if task is None:
        return "", "", ""
    request = task.request
    return request.id or "", task.name, task_request_id(request)


class TabibTask(Task):
    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None, link_error=None, **options):
        request_id = current_request_id.get()
        if request_id:
            options["headers"] = {**(options.get("headers") or {}), REQUEST_ID_HEADER: request_id}
        return super().apply_async(args, kwargs, task_id, producer, link, link_error, **options)

    def __call__(self, *args, **kwargs):
        # Set for the task's own code, so the tasks it queues carry the same request id.
        request_token = current_request_id.set(task_request_id(self.request))
        started = time.perf_counter()
        try:
            return super().__call__(*args, **kwargs)
        finally:
            metrics.celery_task_observe(task=self.name, seconds=time.perf_counter() - started)
            current_request_id.reset(request_token)

    def on_success(self, retval, task_id, args, kwargs):
        metrics.celery_task_outcome(task=self.name, outcome="succeeded")

    def on_retry(self, exc, task_id, args, kwargs, einfo):
        metrics.celery_task_outcome(task=self.name, outcome="retried")

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        metrics.celery_task_outcome(task=self.name, outcome="failed")
