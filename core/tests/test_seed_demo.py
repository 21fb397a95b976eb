"""`seed_demo` ends with the logins and the URLs, after every progress line."""

from io import StringIO

import pytest
from django.core.management import call_command

from core.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_seed_demo_prints_the_logins_and_urls_last():
    out = StringIO()

    call_command("seed_demo", "--base-url", "http://127.0.0.1:18200", stdout=out, no_color=True)

    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    heading = lines.index(f"Demo logins (every password: {DEMO_PASSWORD})")
    logins = lines[heading + 1 : lines.index("Open")]
    assert "  admin    admin@demo.tabib.local  (/admin/)" in logins
    assert "  patient  alice@demo.tabib.local" in logins
    assert any(line.startswith("  doctor   doctor00@demo.tabib.local") for line in logins)
    assert not any(DEMO_PASSWORD in line for line in lines[:heading])
    assert [line.split()[0] for line in lines[-3:]] == [
        "http://127.0.0.1:18200/api/docs/",
        "http://127.0.0.1:18200/portal/",
        "http://127.0.0.1:18200/admin/",
    ]
