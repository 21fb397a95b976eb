import logging

from core.celery_task import running_task_context
from core.middleware import current_request_id
from core.telemetry import trace_ids


class RequestIdFilter(logging.Filter):
    """Adds what ties a log line to the work it belongs to: the request id (also in the Celery tasks
    a request queued), the trace and span ids when tracing is on, and the running task's id and name
    in a worker. Empty strings where there is none, so every line has every field."""

    def filter(self, record: logging.LogRecord) -> bool:
        task_id, task_name, task_request_id = running_task_context()
        record.request_id = current_request_id.get() or task_request_id
        record.trace_id, record.span_id = trace_ids()
        record.task_id, record.task_name = task_id, task_name
        return True
