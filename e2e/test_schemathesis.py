"""schemathesis against the live schema of the production-shaped stack.

Every operation, with schema-valid and schema-violating data, authenticated as a patient and as a
doctor: no 5xx, no answer that the schema does not describe (status code, content type, body).
"""

import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

PASSWORD = "Correct-Horse-42-battery"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# Erasing the account would end the run's authentication for every later case; tests cover it.
EXCLUDED = ["--exclude-operation-id", "users_me_destroy"]
MAX_EXAMPLES = 10


def _register(stack, role: str) -> tuple[str, str]:
    email = f"st-{role}-{uuid.uuid4().hex[:10]}@example.com"
    payload = {"email": email, "password": PASSWORD, "role": role, "first_name": "Schema", "last_name": "Thesis"}
    answer = httpx.post(f"{stack.http}/api/v1/auth/register", json=payload, timeout=30)
    assert answer.status_code == 201, answer.text
    return email, answer.json()["access"]


def _doctor(stack) -> tuple[str, str]:
    email, access = _register(stack, "doctor")
    headers = {"Authorization": f"Bearer {access}"}
    profile = {
        "city": "Schemaville",
        "country": "FR",
        "timezone": "UTC",
        "fee": {"amount": 5000, "currency": "EUR"},
        "accepts_payment_methods": ["clinic"],
    }
    assert httpx.patch(f"{stack.http}/api/v1/doctors/me/profile", json=profile, headers=headers, timeout=30).is_success
    rules = [{"weekday": day, "start_time": "08:00", "end_time": "18:00"} for day in range(7)]
    assert httpx.put(f"{stack.http}/api/v1/doctors/me/availability", json=rules, headers=headers, timeout=30).is_success
    stack.manage("verify_doctor", email)
    return email, access


def _summary(output: str) -> tuple[int, int]:
    """(operations tested, test cases generated) from schemathesis' summary."""
    operations = re.search(r"Tested:\s+(\d+)", output)
    cases = re.search(r"Test cases:\s+(\d+) generated", output)
    assert operations and cases, output[-3000:]
    return int(operations.group(1)), int(cases.group(1))


@pytest.mark.parametrize("role", ["patient", "doctor"])
def test_every_operation_answers_as_the_schema_says(stack, role, tmp_path):
    _email, access = _doctor(stack) if role == "doctor" else _register(stack, "patient")

    run = subprocess.run(
        [
            Path(sys.executable).with_name("schemathesis"),
            "run",
            f"{stack.http}/api/schema/",
            "--checks",
            CHECKS,
            "--mode",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "18",
            "--header",
            f"Authorization: Bearer {access}",
            "--report-dir",
            str(tmp_path),
            *EXCLUDED,
        ],
        capture_output=True,
        text=True,
        timeout=1500,
    )

    operations, cases = _summary(run.stdout)
    print(f"schemathesis as {role}: {operations} operations, {cases} cases")
    print(run.stdout[run.stdout.rfind("SUMMARY") :])
    assert run.returncode == 0, run.stdout[-8000:]
    assert operations >= 75
