"""The one module that talks to push providers, through django-push-notifications.

FCM (Android and iOS) goes through firebase-admin's default app; WebPush through pywebpush with
our VAPID key. Each send answers SENT or INVALID (the provider said the token is dead: the library
deactivated it) or raises `PushTransientError` (worth retrying).
"""

import enum
import ipaddress
import json
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

import firebase_admin
from django.conf import settings
from firebase_admin import credentials, messaging
from push_notifications.gcm import fcm_error_list
from push_notifications.models import GCMDevice, WebPushDevice

logger = logging.getLogger(__name__)


class PushOutcome(enum.Enum):
    SENT = "sent"
    INVALID = "invalid"
    SKIPPED = "skipped"


class PushTransientError(Exception):
    pass


class PushConfigurationError(Exception):
    pass


def webpush_host_allowed(host: str) -> bool:
    """Whether `host` is one of the browser push services of settings.WEBPUSH_ALLOWED_HOSTS
    (`*.example.com` matches any subdomain)."""
    host = host.lower().rstrip(".")
    for allowed in settings.WEBPUSH_ALLOWED_HOSTS:
        allowed = allowed.lower()
        if host == allowed or (allowed.startswith("*.") and host.endswith(allowed[1:])):
            return True
    return False


def webpush_endpoint_resolves_publicly(endpoint: str) -> bool:
    """Whether every address the endpoint's host resolves to now is a public one.

    The host allow-list keeps the server from posting to arbitrary hosts; this keeps a listed name
    that resolves (or is made to resolve) to a private, loopback or link-local address from turning
    a push into a request inside our network. Checked at registration and again before each send."""
    host = urlsplit(endpoint).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return False
    return bool(addresses) and all(_is_public(address) for address in addresses)


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in ipaddress.ip_network(network) for network in settings.WEBPUSH_PRIVATE_NETWORKS_ALLOWED):
        return True
    return ip.is_global and not ip.is_multicast


def web_subscription_parse(push_token: str) -> dict[str, str] | None:
    """`{"endpoint", "p256dh", "auth"}` of a browser's `JSON.stringify(PushSubscription)` whose
    endpoint is an https URL of a known push service, else None."""
    try:
        raw = json.loads(push_token)
        endpoint, keys = raw["endpoint"], raw["keys"]
        subscription = {"endpoint": str(endpoint), "p256dh": str(keys["p256dh"]), "auth": str(keys["auth"])}
        parts = urlsplit(subscription["endpoint"])
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except (ValueError, TypeError, KeyError):
        return None
    if (
        parts.scheme != "https"
        or parts.username is not None
        or parts.password is not None
        or not webpush_host_allowed(parts.hostname or "")
        or len(subscription["p256dh"]) > 88
        or len(subscription["auth"]) > 24
    ):
        return None
    return subscription


def firebase_app() -> firebase_admin.App:
    """The default firebase-admin app, created from FCM_CREDENTIALS_FILE on first use."""
    try:
        return firebase_admin.get_app()
    except ValueError:
        pass
    if not settings.FCM_CREDENTIALS_FILE:
        raise PushConfigurationError("FCM is not configured (FCM_CREDENTIALS_FILE).")
    return firebase_admin.initialize_app(credentials.Certificate(settings.FCM_CREDENTIALS_FILE))


def _fcm_send(device: GCMDevice, *, title: str, body: str, data: dict[str, str]) -> PushOutcome:
    firebase_app()
    message = messaging.Message(notification=messaging.Notification(title=title, body=body), data=data)
    response = device.send_message(message)
    result = response.responses[0] if response and response.responses else None
    if result is None or result.success:
        return PushOutcome.SENT
    if type(result.exception) in fcm_error_list:
        # The library has deactivated the token already.
        return PushOutcome.INVALID
    raise PushTransientError(f"FCM: {result.exception}")


def _webpush_send(device: WebPushDevice, *, title: str, body: str, data: dict[str, str]) -> PushOutcome:
    from push_notifications.settings import PUSH_NOTIFICATIONS_SETTINGS

    if not PUSH_NOTIFICATIONS_SETTINGS.get("WP_PRIVATE_KEY"):
        raise PushConfigurationError("WebPush is not configured (WEBPUSH_VAPID_PRIVATE_KEY).")
    if not webpush_host_allowed(urlsplit(device.registration_id).hostname or ""):
        logger.warning("web push endpoint not allowed", extra={"device_id": device.pk})
        return PushOutcome.SKIPPED
    if not webpush_endpoint_resolves_publicly(device.registration_id):
        # Unresolvable now, or resolving inside our network: never post there; retry later.
        raise PushTransientError("WebPush: the endpoint does not resolve to a public address")
    try:
        result = device.send_message(json.dumps({"title": title, "body": body, "data": data}))
    except Exception as exc:  # WebPushError, connection errors, timeouts: all worth another try
        raise PushTransientError(f"WebPush: {exc}") from exc
    if result.get("success"):
        return PushOutcome.SENT
    device.refresh_from_db(fields=["active"])
    if not device.active:  # 404/410: the library deactivated the subscription
        return PushOutcome.INVALID
    raise PushTransientError(f"WebPush: {result['results'][0].get('error')}")


def push_send(
    *, gcm_device: GCMDevice | None, webpush_device: WebPushDevice | None, title: str, body: str, data: dict[str, Any]
) -> PushOutcome:
    """Send one notification to one provider device."""
    # FCM data values must be strings; the client reads `data` to route the tap.
    flat = {key: value if isinstance(value, str) else json.dumps(value) for key, value in data.items()}
    try:
        if gcm_device is not None and gcm_device.active:
            return _fcm_send(gcm_device, title=title, body=body, data=flat)
        if webpush_device is not None and webpush_device.active:
            return _webpush_send(webpush_device, title=title, body=body, data=flat)
    except PushConfigurationError as exc:
        logger.warning("push not configured", extra={"error": str(exc)})
    return PushOutcome.SKIPPED
