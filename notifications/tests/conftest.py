import base64
import os
import socket
from pathlib import Path

import firebase_admin
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from firebase_admin import credentials, messaging
from google.auth.credentials import AnonymousCredentials

TEST_TEMPLATES = Path(__file__).parent / "templates"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def test_templates(settings):
    """Adds notifications/tests/templates (the `test_event` notification) to the template dirs."""
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEST_TEMPLATES]}]


@pytest.fixture
def dns(monkeypatch):
    """A stand-in DNS (beyond our network edge): `dns[name] = address`; unknown names do not resolve."""
    answers: dict[str, str] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        address = answers[host]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def webpush_configured(monkeypatch):
    """A VAPID key in django-push-notifications' settings, as WEBPUSH_VAPID_PRIVATE_KEY would give."""
    from push_notifications.settings import PUSH_NOTIFICATIONS_SETTINGS

    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    monkeypatch.setitem(PUSH_NOTIFICATIONS_SETTINGS, "WP_PRIVATE_KEY", _b64url(der))
    monkeypatch.setitem(PUSH_NOTIFICATIONS_SETTINGS, "WP_CLAIMS", {"sub": "mailto:test@tabib.local"})


@pytest.fixture
def web_subscription():
    """`subscription(endpoint)` -> the JSON a browser's PushSubscription serialises to."""
    import json

    def make(endpoint: str) -> str:
        browser_key = (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        return json.dumps(
            {"endpoint": endpoint, "keys": {"p256dh": _b64url(browser_key), "auth": _b64url(os.urandom(16))}}
        )

    return make


class _AnonymousCredential(credentials.Base):
    def get_credential(self):
        return AnonymousCredentials()


@pytest.fixture
def fcm_stand_in(monkeypatch):
    """`fcm_stand_in(server)`: firebase-admin's default app pointed at a local FCM v1 endpoint."""
    apps = []

    def point_at(server) -> None:
        monkeypatch.setattr(messaging._MessagingService, "FCM_URL", server.url + "/v1/projects/{0}/messages:send")
        apps.append(firebase_admin.initialize_app(_AnonymousCredential(), {"projectId": "tabib-test"}))

    yield point_at
    for app in apps:
        firebase_admin.delete_app(app)
