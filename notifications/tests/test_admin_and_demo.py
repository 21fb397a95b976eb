import io

import pytest

from accounts.demo import seed as seed_accounts
from accounts.tests.factories import AdminFactory, PatientFactory
from notifications.demo import seed
from notifications.models import Channel, Delivery, DeliveryStatus, Notification
from notifications.services import device_register
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent():
    out = io.StringIO()
    seed_accounts(out)

    seed(out)
    seed(out)

    assert Notification.objects.filter(user__email__endswith="@demo.tabib.local").count() == 4


def test_staff_see_failed_deliveries_and_devices_in_the_admin(client):
    # given a failed email delivery and a registered device
    notification = NotificationFactory()
    Delivery.objects.create(
        notification=notification,
        channel=Channel.EMAIL,
        status=DeliveryStatus.FAILED,
        attempts=5,
        last_error="554 rejected",
    )
    device_register(user=PatientFactory(), platform="android", push_token="tok", model="Pixel 8", os_version="14")
    client.force_login(AdminFactory())

    failed = client.get("/admin/notifications/delivery/?status__exact=failed")
    devices = client.get("/admin/notifications/device/")

    assert failed.status_code == 200 and "554 rejected" in failed.content.decode()
    assert devices.status_code == 200 and "Pixel 8" in devices.content.decode()
    for page in ("notification", "notificationpreference", "remindersent"):
        assert client.get(f"/admin/notifications/{page}/").status_code == 200
    assert client.get(f"/admin/notifications/notification/{notification.pk}/change/").status_code == 200
