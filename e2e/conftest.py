"""The `stack` session fixture: the production-shaped stack (e2e/stack.py), started once.

Contract for every e2e test: `stack.http`/`stack.http_b` and `stack.ws`/`stack.ws_b` are Daphne A
and B, `stack.mailbox` the SMTP sink (`wait_for(to, subject_contains, timeout)`, `messages_to(to)`),
`stack.manage(*args)` runs manage.py with the stack's environment, `stack.stripe_url` is localstripe.
On a failing test the tail of every process's log is printed with the report.
"""

import tempfile
from pathlib import Path

import pytest

from stack import Stack, stack_start, stack_stop

_running: list[Stack] = []


@pytest.fixture(scope="session")
def stack():
    logs = Path(tempfile.mkdtemp(prefix="tabib-e2e-"))
    started = stack_start(logs)
    _running.append(started)
    yield started
    _running.remove(started)
    stack_stop(started)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and _running:
        report.sections.append(("stack logs", _running[0].log_tails()))
    return report
