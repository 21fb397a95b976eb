"""Production settings fail closed, tried the way a deploy starts them: a fresh process per case."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    "SECRET_KEY": "prod-test-" + "k" * 50,
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "tabib.example.com",
    "DATABASE_URL": "postgres://tabib@db.invalid:5432/tabib",
    "REDIS_URL": "redis://redis.invalid:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.invalid:587",
    "DEFAULT_FROM_EMAIL": "Tabib <no-reply@tabib.example.com>",
    "CSRF_TRUSTED_ORIGINS": "https://tabib.example.com",
}
PROBE = """
import json
from django.conf import settings
from django.test import RequestFactory
from django.urls import Resolver404, resolve
try:
    resolve("/media/chat/attachment.png")
    media_served = True
except Resolver404:
    media_served = False
request = RequestFactory().get("/portal/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({"module": settings.SETTINGS_MODULE, "debug": settings.DEBUG,
                  "forwarded_https_trusted": request.is_secure(), "media_served": media_served}))
"""
ENTRY_POINTS = {
    "manage.py": [sys.executable, "manage.py", "shell", "--no-imports", "-c", PROBE],
    "config.asgi": [sys.executable, "-c", "import config.asgi\n" + PROBE],
    "config.wsgi": [sys.executable, "-c", "import config.wsgi\n" + PROBE],
    "config.celery": [sys.executable, "-c", "from config.celery import app\nimport django\ndjango.setup()\n" + PROBE],
}


def run(command: list[str], env_file: Path, **environ: str) -> subprocess.CompletedProcess:
    """`command` in a clean environment: only PATH, HOME, the given variables and the given .env file."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "TABIB_ENV_FILE": str(env_file)}
    return subprocess.run(
        command, cwd=BASE_DIR, env={**env, **environ}, capture_output=True, text=True, timeout=120, check=False
    )


def write_env(path: Path, values: dict[str, str]) -> Path:
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    return path


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_dotenv_asking_for_production_gets_production_from_every_entry_point(entry_point, tmp_path):
    # given no DJANGO_SETTINGS_MODULE in the environment, and a .env asking for production (and DEBUG)
    env_file = write_env(tmp_path / ".env", {**PROD_ENV, "DEBUG": "true"})
    # when the entry point starts
    result = run(ENTRY_POINTS[entry_point], env_file)
    # then production it is: DEBUG off, /media/ not served, X-Forwarded-Proto not trusted without a proxy
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe == {
        "module": "config.settings.prod",
        "debug": False,
        "forwarded_https_trusted": False,
        "media_served": False,
    }


def test_forwarded_proto_is_trusted_only_behind_a_declared_proxy(tmp_path):
    # given production with BEHIND_PROXY=true (the compose file and the manifests put a proxy in front)
    env_file = write_env(tmp_path / ".env", {**PROD_ENV, "BEHIND_PROXY": "true"})
    # when a request arrives with X-Forwarded-Proto: https
    result = run(ENTRY_POINTS["config.wsgi"], env_file)
    # then it counts as https
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["forwarded_https_trusted"] is True


def test_production_without_its_secrets_refuses_to_start(tmp_path):
    # given production asked for with nothing else configured
    env_file = write_env(tmp_path / ".env", {"DJANGO_SETTINGS_MODULE": "config.settings.prod"})
    # when it starts
    result = run([sys.executable, "manage.py", "check"], env_file)
    # then ImproperlyConfigured names every missing variable
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY, FIELD_ENCRYPTION_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL" in result.stderr


def test_check_deploy_passes_on_a_complete_production_environment(tmp_path):
    env_file = write_env(tmp_path / ".env", PROD_ENV)

    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"], env_file)

    assert result.returncode == 0, result.stderr
    assert "tabib." not in result.stdout + result.stderr


def test_check_deploy_fails_on_a_malformed_stripe_key_with_a_clear_message(tmp_path):
    # given production with a secret key pasted in the wrong shape and no webhook secret
    env_file = write_env(tmp_path / ".env", {**PROD_ENV, "STRIPE_SECRET_KEY": "sk-live-0123456789abcdefghijklmnop"})
    # when the deploy checks run
    result = run([sys.executable, "manage.py", "check", "--deploy"], env_file)
    # then they fail, saying what is wrong and how to fix it
    assert result.returncode != 0
    assert "(tabib.E001) STRIPE_SECRET_KEY is not a Stripe secret key" in result.stderr
    assert "HINT: Use the secret (sk_test_.../sk_live_...)" in result.stderr
    assert "(tabib.E004) Card payments are on but STRIPE_WEBHOOK_SECRET is empty" in result.stderr


SCRAPE = """
import json
from django.test import Client
client = Client()
answers = {}
for name, host in (("pod_ip", "10.244.1.7:8000"), ("public", "tabib.example.com"), ("other_ip", "10.244.9.9:8000")):
    for path, headers in (
        ("/metrics", {"HTTP_AUTHORIZATION": "Bearer scrape-token-0123456789"}),
        ("/metrics", {}),
        ("/health/live", {}),
        ("/api/v1/specialties", {}),
    ):
        response = client.get(path, HTTP_HOST=host, **headers)
        key = f"{name} {path}{' token' if headers else ''}"
        body = response.content.decode(errors="replace") if response.status_code == 200 else ""
        answers[key] = [response.status_code, response.headers.get("Location"), "tabib_http_request" in body]
print(json.dumps(answers))
"""


def test_prometheus_scrapes_a_pod_by_its_ip_over_plain_http_with_the_token(tmp_path):
    """As deployed: https redirect on, ALLOWED_HOSTS the public name, POD_IP from the downward API.
    The scrape (Host: the pod's IP, plain HTTP) gets the metrics; the token still guards them, and
    nothing else is exempt from the redirect or open to any other host."""
    env_file = write_env(
        tmp_path / ".env", {**PROD_ENV, "POD_IP": "10.244.1.7", "METRICS_TOKEN": "scrape-token-0123456789"}
    )

    result = run([sys.executable, "manage.py", "shell", "--no-imports", "-c", "import django\n" + SCRAPE], env_file)

    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["pod_ip /metrics token"] == [200, None, True]
    assert answers["pod_ip /metrics"] == [404, None, False]
    assert answers["pod_ip /health/live"] == [200, None, False]
    assert answers["pod_ip /api/v1/specialties"] == [301, "https://10.244.1.7:8000/api/v1/specialties", False]
    assert answers["public /metrics token"] == [200, None, True]
    assert answers["public /api/v1/specialties"][:2] == [301, "https://tabib.example.com/api/v1/specialties"]
    assert {answers[f"other_ip {path}"][0] for path in ("/metrics token", "/metrics", "/health/live")} == {400}
