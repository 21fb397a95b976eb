import pytest

from accounts.tests.factories import PatientFactory
from notifications.models import Device, Notification, NotificationType
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_list_is_mine_newest_first_and_cursor_paginated(auth_client, django_assert_max_num_queries):
    # given 5 notifications of mine and one of someone else
    me = PatientFactory()
    mine = [NotificationFactory(user=me) for _ in range(5)]
    NotificationFactory()
    client = auth_client(me)

    # when I page through them two at a time
    with django_assert_max_num_queries(3):
        first = client.get("/api/v1/notifications?page_size=2").json()
    second = client.get(first["next"]).json()

    # then they come newest first, without a count, and only mine
    assert set(first) == {"next", "previous", "results"}
    assert [n["id"] for n in first["results"] + second["results"]] == [str(n.pk) for n in reversed(mine)][:4]
    assert set(first["results"][0]) == {"id", "type", "title", "body", "data", "is_read", "created_at"}


def test_list_filters_by_read_state_and_type(auth_client):
    me = PatientFactory()
    unread_chat = NotificationFactory(user=me, type=NotificationType.CHAT)
    NotificationFactory(user=me, type=NotificationType.CHAT, is_read=True)
    NotificationFactory(user=me, type=NotificationType.PAYMENT)

    response = auth_client(me).get("/api/v1/notifications?is_read=false&type=chat")

    assert [n["id"] for n in response.json()["results"]] == [str(unread_chat.pk)]


def test_list_rejects_an_unknown_type(auth_client):
    response = auth_client(PatientFactory()).get("/api/v1/notifications?type=spam")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "type"


def test_unread_count_mark_read_and_read_all(auth_client):
    me = PatientFactory()
    first, _second, _third = (NotificationFactory(user=me) for _ in range(3))
    client = auth_client(me)
    assert client.get("/api/v1/notifications/unread-count").json() == {"count": 3}

    assert client.post(f"/api/v1/notifications/{first.pk}/read").status_code == 204
    assert client.get("/api/v1/notifications/unread-count").json() == {"count": 2}
    first.refresh_from_db()
    assert first.is_read and first.read_at is not None

    assert client.post("/api/v1/notifications/read-all").status_code == 204
    assert client.get("/api/v1/notifications/unread-count").json() == {"count": 0}


def test_delete_removes_my_notification(auth_client):
    me = PatientFactory()
    notification = NotificationFactory(user=me)

    response = auth_client(me).delete(f"/api/v1/notifications/{notification.pk}")

    assert response.status_code == 204
    assert not Notification.objects.filter(pk=notification.pk).exists()


@pytest.mark.parametrize("method, suffix", [("post", "/read"), ("delete", "")])
def test_another_users_notification_is_not_found(auth_client, method, suffix):
    # given someone else's notification
    theirs = NotificationFactory()

    # when I try to mark or delete it
    response = getattr(auth_client(PatientFactory()), method)(f"/api/v1/notifications/{theirs.pk}{suffix}")

    # then it does not exist for me, and it is untouched
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.is_read is False


def test_another_users_notification_is_not_listed_nor_marked_by_read_all(auth_client):
    theirs = NotificationFactory()
    client = auth_client(PatientFactory())

    assert client.get("/api/v1/notifications").json()["results"] == []
    client.post("/api/v1/notifications/read-all")

    theirs.refresh_from_db()
    assert theirs.is_read is False


def test_anonymous_user_is_refused(api_client):
    assert api_client.get("/api/v1/notifications").status_code == 401


def test_test_notification_is_not_found_unless_debug(auth_client, settings):
    settings.DEBUG = False

    response = auth_client(PatientFactory()).post("/api/v1/notifications/test")

    assert response.status_code == 404


def test_test_notification_in_debug_creates_a_localized_notification(auth_client, settings):
    settings.DEBUG = True
    me = PatientFactory(locale="fr", first_name="Hélène")

    response = auth_client(me).post("/api/v1/notifications/test")

    assert response.status_code == 201
    assert response.json()["title"] == "Notification de test"
    assert response.json()["body"] == "Bonjour Hélène, les notifications vous parviennent sur cet appareil."


def test_preferences_default_then_update(auth_client):
    client = auth_client(PatientFactory())

    defaults = client.get("/api/v1/users/me/notification-preferences").json()
    assert defaults["chat"] == {"in_app": True, "email": False, "push": True}
    assert set(defaults) == {"appointment", "chat", "payment", "reminder", "system"}

    response = client.put(
        "/api/v1/users/me/notification-preferences",
        {"chat": {"email": True}, "payment": {"push": True, "email": False}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["chat"] == {"in_app": True, "email": True, "push": True}
    assert response.json()["payment"] == {"in_app": True, "email": False, "push": True}
    assert client.get("/api/v1/users/me/notification-preferences").json() == response.json()


def test_preferences_reject_non_booleans(auth_client):
    response = auth_client(PatientFactory()).put(
        "/api/v1/users/me/notification-preferences", {"chat": {"email": "sometimes"}}, format="json"
    )

    assert response.status_code == 400


def test_device_registration_is_idempotent_on_the_push_token(auth_client):
    me = PatientFactory()
    client = auth_client(me)
    body = {
        "platform": "android",
        "push_token": "fcm-token-1",
        "app_version": "1.2.0",
        "os_version": "14",
        "model": "Pixel 8",
        "locale": "fr",
    }

    first = client.post("/api/v1/devices", body, format="json")
    second = client.post("/api/v1/devices", {**body, "app_version": "1.3.0"}, format="json")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    device = Device.objects.get()
    assert (device.app_version, device.gcm_device.registration_id, device.gcm_device.cloud_message_type) == (
        "1.3.0",
        "fcm-token-1",
        "FCM",
    )


def test_a_token_registered_by_another_user_moves_to_the_new_user(auth_client):
    previous, me = PatientFactory(), PatientFactory()
    body = {"platform": "ios", "push_token": "shared-token"}
    auth_client(previous).post("/api/v1/devices", body, format="json")

    response = auth_client(me).post("/api/v1/devices", body, format="json")

    device = Device.objects.get()
    assert str(device.pk) == response.json()["id"]
    assert device.user == me and device.gcm_device.user == me


def test_web_device_needs_a_push_subscription(auth_client, web_subscription, settings, dns):
    settings.WEBPUSH_ALLOWED_HOSTS = ["push.example.com"]
    dns["push.example.com"] = "93.184.215.14"
    client = auth_client(PatientFactory())

    bad = client.post("/api/v1/devices", {"platform": "web", "push_token": "not-json"}, format="json")
    good = client.post(
        "/api/v1/devices",
        {"platform": "web", "push_token": web_subscription("https://push.example.com/sub/1")},
        format="json",
    )

    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "invalid_push_token"
    assert good.status_code == 201
    assert Device.objects.get().webpush_device.registration_id == "https://push.example.com/sub/1"


def test_device_without_token_is_registered(auth_client):
    response = auth_client(PatientFactory()).post(
        "/api/v1/devices", {"platform": "ios", "model": "iPhone"}, format="json"
    )

    assert response.status_code == 201
    assert Device.objects.get().push_token is None


def test_device_can_be_deleted_by_its_owner_only(auth_client):
    owner = PatientFactory()
    device_id = (
        auth_client(owner)
        .post("/api/v1/devices", {"platform": "android", "push_token": "t"}, format="json")
        .json()["id"]
    )

    stranger = auth_client(PatientFactory()).delete(f"/api/v1/devices/{device_id}")
    mine = auth_client(owner).delete(f"/api/v1/devices/{device_id}")

    assert stranger.status_code == 404
    assert mine.status_code == 204
    assert not Device.objects.exists()
    from push_notifications.models import GCMDevice

    assert not GCMDevice.objects.exists()
