"""Email and push deliveries against local stand-ins of the providers (SMTP, WebPush, FCM)."""

import json

import pytest

from accounts.tests.factories import PatientFactory
from core.testing.metrics import metric_value
from notifications.models import Channel, Delivery, DeliveryStatus, Device, NotificationType
from notifications.services import device_register, notification_send
from notifications.tests.stand_ins import HTTPStandIn, SMTPStandIn

pytestmark = pytest.mark.django_db

OK = "250 OK"
TRANSIENT = "451 4.3.0 try again later"
PERMANENT = "554 5.7.1 rejected"


@pytest.fixture
def smtp_server(settings):
    """`smtp_server(replies)`: a local SMTP server the email backend talks to."""
    servers = []

    def start(replies) -> SMTPStandIn:
        server = SMTPStandIn(replies)
        servers.append(server)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def push_server():
    servers = []

    def start(replies, *, tls: bool = False) -> HTTPStandIn:
        server = HTTPStandIn(replies, tls=tls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def max_attempts(settings):
    settings.NOTIFICATIONS = {**settings.NOTIFICATIONS, "DELIVERY_MAX_ATTEMPTS": 3}
    return 3


def _send(user, *, type=NotificationType.SYSTEM):
    return notification_send(user=user, type=type, template_key="test", context={"name": "A"})


def test_email_is_retried_after_transient_failures_then_sent(
    smtp_server, max_attempts, django_capture_on_commit_callbacks
):
    # given an SMTP server that fails twice, then accepts
    server = smtp_server([TRANSIENT, TRANSIENT, OK])
    user = PatientFactory()

    # when a notification is emailed
    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(user)

    # then the third attempt delivered it, in text and HTML
    delivery = Delivery.objects.get(notification=notification, channel=Channel.EMAIL)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 3)
    assert "451" in delivery.last_error
    assert len(server.script.requests) == 3
    assert len(server.messages) == 1 and "text/html" in server.messages[0] and user.email in server.messages[0]


def test_email_stops_at_the_retry_limit_and_is_marked_failed(
    smtp_server, max_attempts, django_capture_on_commit_callbacks, caplog
):
    # given an SMTP server that always refuses
    server = smtp_server([PERMANENT])

    # when a notification is emailed
    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(PatientFactory())

    # then it was tried exactly max_attempts times and is marked failed, with the error logged
    delivery = Delivery.objects.get(notification=notification)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, max_attempts)
    assert "554" in delivery.last_error
    assert len(server.script.requests) == max_attempts
    assert server.messages == []
    assert "notification delivery failed for good" in caplog.text


def test_email_to_an_unreachable_server_is_marked_failed(settings, max_attempts, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(PatientFactory())

    delivery = Delivery.objects.get(notification=notification)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, max_attempts)


# --- WebPush ---------------------------------------------------------------------------------------


@pytest.fixture
def web_device(push_server, webpush_configured, web_subscription, monkeypatch, settings):
    """`web_device(replies)`: a user with a browser subscribed at a local HTTPS push service
    (allowed as a push host on a private network, as an operator's own relay would be)."""
    settings.WEBPUSH_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBPUSH_PRIVATE_NETWORKS_ALLOWED = ["127.0.0.1/32"]

    def make(replies):
        server = push_server(replies, tls=True)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_file)
        user = PatientFactory()
        device, _created = device_register(
            user=user, platform="web", push_token=web_subscription(f"{server.url}/push/sub-1")
        )
        return server, user, device

    return make


def test_web_push_is_retried_after_transient_failures_then_sent(
    web_device, max_attempts, django_capture_on_commit_callbacks
):
    # given a push service that is unavailable twice, then accepts
    server, user, _device = web_device([(503, "busy"), (503, "busy"), (201, "")])

    # when a notification is pushed (appointment: push on by default)
    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(user, type=NotificationType.APPOINTMENT)

    # then the third attempt delivered an encrypted, VAPID-signed push
    delivery = Delivery.objects.get(notification=notification, channel=Channel.PUSH)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 3)
    assert len(server.script.requests) == 3
    request = server.script.requests[-1]
    assert request["path"] == "/push/sub-1"
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=")


def test_web_push_stops_at_the_retry_limit_and_is_marked_failed(
    web_device, max_attempts, django_capture_on_commit_callbacks
):
    server, user, device = web_device([(500, "broken")])

    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(user, type=NotificationType.APPOINTMENT)

    delivery = Delivery.objects.get(notification=notification, channel=Channel.PUSH)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, max_attempts)
    assert len(server.script.requests) == max_attempts
    device.refresh_from_db()
    assert device.active is True


def test_web_push_subscription_gone_deactivates_the_device(
    web_device, max_attempts, django_capture_on_commit_callbacks
):
    # given a push service that says the subscription is gone
    server, user, device = web_device([(410, "gone")])

    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(user, type=NotificationType.APPOINTMENT)

    # then no retry, the device is deactivated, and the next notification queues no push
    assert len(server.script.requests) == 1
    device.refresh_from_db()
    assert device.active is False and device.webpush_device.active is False
    assert Delivery.objects.get(notification=notification, channel=Channel.PUSH).status == DeliveryStatus.FAILED
    later = _send(user, type=NotificationType.APPOINTMENT)
    assert not later.deliveries.filter(channel=Channel.PUSH).exists()


def test_push_switched_off_sends_no_push(web_device, django_capture_on_commit_callbacks):
    # given a user with a device who did not switch payment pushes on (off by default)
    server, user, _device = web_device([(201, "")])

    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(user, type=NotificationType.PAYMENT)

    assert server.script.requests == []
    assert not notification.deliveries.filter(channel=Channel.PUSH).exists()


# --- FCM ---------------------------------------------------------------------------------------------


@pytest.fixture
def android_device(push_server, fcm_stand_in):
    def make(replies):
        server = push_server(replies)
        fcm_stand_in(server)
        user = PatientFactory()
        device, _created = device_register(user=user, platform="android", push_token="fcm-token-1", model="Pixel 8")
        return server, user, device

    return make


def test_fcm_push_is_sent_to_the_device_token(android_device, django_capture_on_commit_callbacks):
    server, user, _device = android_device([(200, json.dumps({"name": "projects/tabib-test/messages/1"}))])

    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(user, type=NotificationType.APPOINTMENT)

    delivery = Delivery.objects.get(notification=notification, channel=Channel.PUSH)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    request = server.script.requests[0]
    assert request["path"] == "/v1/projects/tabib-test/messages:send"
    message = json.loads(request["body"])["message"]
    assert message["token"] == "fcm-token-1"
    assert message["notification"] == {"title": notification.title, "body": notification.body}
    assert message["data"]["notification_id"] == str(notification.pk)


def test_fcm_transient_error_is_retried_then_sent(android_device, max_attempts, django_capture_on_commit_callbacks):
    quota = json.dumps({"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}})
    server, user, _device = android_device([(429, quota), (200, json.dumps({"name": "m/2"}))])

    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(user, type=NotificationType.APPOINTMENT)

    delivery = Delivery.objects.get(notification=notification, channel=Channel.PUSH)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert len(server.script.requests) == 2


def test_fcm_unregistered_token_deactivates_the_device(android_device, django_capture_on_commit_callbacks):
    unregistered = json.dumps(
        {
            "error": {
                "code": 404,
                "message": "Requested entity was not found.",
                "status": "NOT_FOUND",
                "details": [
                    {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}
                ],
            }
        }
    )
    server, user, device = android_device([(404, unregistered)])

    with django_capture_on_commit_callbacks(execute=True):
        _send(user, type=NotificationType.APPOINTMENT)

    assert len(server.script.requests) == 1
    device.refresh_from_db()
    assert device.active is False and device.gcm_device.active is False
    assert Device.objects.filter(active=True).count() == 0


def test_web_push_is_not_posted_to_an_endpoint_that_now_resolves_inside_our_network(
    web_device, settings, django_capture_on_commit_callbacks
):
    # given a subscription registered while its host was an allowed relay
    server, user, _device = web_device([(201, "")])
    # when the address it resolves to is no longer an allowed one (issue 17, item 6: SSRF)
    settings.WEBPUSH_PRIVATE_NETWORKS_ALLOWED = []

    with django_capture_on_commit_callbacks(execute=True):
        notification = _send(user, type=NotificationType.APPOINTMENT)

    # then nothing reached it
    assert server.script.requests == []
    assert Delivery.objects.get(notification=notification, channel=Channel.PUSH).status != DeliveryStatus.SENT


def test_email_failed_for_good_is_counted_once_not_per_attempt(
    smtp_server, max_attempts, django_capture_on_commit_callbacks
):
    # given an SMTP server that always refuses, and the failed-notifications counter
    smtp_server([PERMANENT])
    before = metric_value("tabib_notification_failures_total", channel="email")
    # when a notification is emailed and every attempt fails
    with django_capture_on_commit_callbacks(execute=True):
        _send(PatientFactory())
    # then one failed notification is counted
    assert metric_value("tabib_notification_failures_total", channel="email") == before + 1


def test_email_sent_after_a_transient_failure_is_not_counted_as_failed(
    smtp_server, max_attempts, django_capture_on_commit_callbacks
):
    smtp_server([TRANSIENT, OK])
    before = metric_value("tabib_notification_failures_total", channel="email")

    with django_capture_on_commit_callbacks(execute=True):
        _send(PatientFactory())

    assert metric_value("tabib_notification_failures_total", channel="email") == before
