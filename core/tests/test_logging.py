"""Log lines carry the request id, the trace and span ids and, in a worker, the task; as JSON."""

import io
import json
import logging

from django.utils.module_loading import import_string

from core.logging import RequestIdFilter
from core.middleware import current_request_id
from core.tests.test_metrics import request_id_seen


def test_every_json_line_has_the_request_trace_and_task_fields():
    # given the project's JSON formatter and filter (the test settings silence logging)
    from config.settings.base import LOGGING

    formatter_config = {key: value for key, value in LOGGING["formatters"]["json"].items() if key != "()"}
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(import_string(LOGGING["formatters"]["json"]["()"])(**formatter_config))
    handler.addFilter(import_string(LOGGING["filters"]["request_id"]["()"])())
    logger = logging.getLogger("core.tests.json")
    logger.addHandler(handler)
    token = current_request_id.set("req-7")
    try:
        # when code logs inside a request, with extra fields
        logger.warning("booked", extra={"appointment_id": "a-1"})
    finally:
        current_request_id.reset(token)
        logger.removeHandler(handler)

    # then the line is JSON with every correlation field, present even when empty
    line = json.loads(handler.stream.getvalue().strip())
    assert line["message"] == "booked" and line["appointment_id"] == "a-1"
    assert line["request_id"] == "req-7"
    assert {"trace_id", "span_id", "task_id", "task_name", "levelname", "asctime"} <= line.keys()


def test_a_task_queued_during_a_request_runs_and_logs_under_that_request_id(caplog):
    # given a request being served under id "req-42"
    caplog.handler.addFilter(RequestIdFilter())
    token = current_request_id.set("req-42")
    try:
        # when it queues a task
        result = request_id_seen.delay()
    finally:
        current_request_id.reset(token)

    # then the task ran with the request's id, and its log line names the request and the task
    assert result.get() == "req-42"
    record = next(record for record in caplog.records if record.getMessage() == "inside the task")
    assert (record.request_id, record.task_name) == ("req-42", request_id_seen.name)
    assert record.task_id == result.id
    assert (record.trace_id, record.span_id) == ("", "")  # tracing is off in this process


def test_a_task_queued_outside_any_request_has_no_request_id():
    assert request_id_seen.delay().get() == ""
