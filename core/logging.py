import logging

from core.celery_task import current_task
from core.middleware import current_request_id
from core.telemetry import trace_ids


class RequestIdFilter(logging.Filter):
    """Adds what ties a log line to the work it belongs to: the request id (also inside the Celery
    tasks a request queued), the trace and span ids when tracing is on, and the running task's id
    and name in a worker. Empty strings where there is none, so every line has every field."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        record.trace_id, record.span_id = trace_ids()
        record.task_id, record.task_name = current_task.get()
        return True
