"""Issue 17, item 6: a WebPush subscription may only point at a known push service, and never at
an address inside our network, whatever its name resolves to. DNS is beyond our network edge, so
a stand-in resolver answers here (socket.getaddrinfo)."""

import pytest

from accounts.tests.factories import PatientFactory
from notifications.models import Device

pytestmark = pytest.mark.django_db


def _register(auth_client, web_subscription, endpoint: str):
    return auth_client(PatientFactory()).post(
        "/api/v1/devices", {"platform": "web", "push_token": web_subscription(endpoint)}, format="json"
    )


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.0.0.1:8443/push/1",
        "https://169.254.169.254/latest/meta-data",
        "https://push.example.com/sub/1",
        "https://fcm.googleapis.com.attacker.example/fcm/send/1",
        "https://user:pass@fcm.googleapis.com/fcm/send/1",
        "http://fcm.googleapis.com/fcm/send/1",
        "https://notify.windows.com.attacker.example/w/1",
    ],
)
def test_a_web_push_endpoint_outside_the_known_push_services_is_refused(auth_client, web_subscription, dns, endpoint):
    response = _register(auth_client, web_subscription, endpoint)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_push_token"
    assert not Device.objects.exists()


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.7", "192.168.1.1", "169.254.169.254", "::1", "fd00::1"])
def test_a_push_service_name_resolving_inside_our_network_is_refused(auth_client, web_subscription, dns, address):
    dns["fcm.googleapis.com"] = address

    response = _register(auth_client, web_subscription, "https://fcm.googleapis.com/fcm/send/abc")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "push_endpoint_not_allowed"
    assert not Device.objects.exists()


def test_an_unresolvable_push_endpoint_is_refused(auth_client, web_subscription, dns):
    response = _register(auth_client, web_subscription, "https://updates.push.services.mozilla.com/wpush/v2/x")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "push_endpoint_not_allowed"


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("fcm.googleapis.com", "142.250.74.234"),
        ("updates.push.services.mozilla.com", "34.117.59.81"),
        ("web.push.apple.com", "17.188.180.56"),
        ("wns2-par02p.notify.windows.com", "2603:1020:203:3::1"),
    ],
)
def test_a_browser_subscription_of_a_known_push_service_is_registered(
    auth_client, web_subscription, dns, host, address
):
    dns[host] = address

    response = _register(auth_client, web_subscription, f"https://{host}/push/sub-1")

    assert response.status_code == 201
    assert Device.objects.get().webpush_device.registration_id == f"https://{host}/push/sub-1"
