"""300 concurrent requests across both Daphne processes: no 5xx, and normal service right after."""

import json
import subprocess
import sys

from clients import doctor_create
from stack import ROOT


def test_a_burst_of_300_registrations_and_availability_reads_gives_no_5xx(stack, capsys):
    # given a doctor whose availability the burst reads
    doctor = doctor_create(stack)
    # when bench/burst.py fires 300 requests at once at Daphne A and B
    result = subprocess.run(
        [
            sys.executable,
            "bench/burst.py",
            "--json",
            "--requests",
            "300",
            "--url",
            stack.http,
            "--url",
            stack.http_b,
            "--doctor-id",
            doctor.doctor_id,
            "--database-url",
            stack.env["DATABASE_URL"],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
    )
    burst = json.loads(result.stdout)
    with capsys.disabled():
        print(f"\nburst: {json.dumps(burst)}")
    # then every request got its normal answer, none a 5xx
    assert burst["server_errors"] == 0, burst
    assert burst["statuses"] == {"register": {"201": 150}, "availability": {"200": 150}}
    # and right after, both processes answer as usual
    assert all(after == {"specialties": "200", "register": "201"} for after in burst["after"].values()), burst
    # within the connection budget: two processes' pools plus the Celery worker and beat
    assert burst["peak_connections"] <= 2 * 10 + 6, burst
