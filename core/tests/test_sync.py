import base64
import json
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.services import user_update
from accounts.tests.factories import AdminFactory, PatientFactory
from appointments.models import AppointmentStatus
from appointments.status import appointment_transition
from core.models import SyncChange, SyncOp
from core.sync import PRUNE_MARGIN, SYNC_RETENTION, Position, SyncCursor, registered, sync_prune, sync_record
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification
from notifications.services import notification_delete
from support.services import support_request_create, support_request_reply
from support.tests.factories import AppointmentFactory, NotificationFactory

pytestmark = pytest.mark.django_db

SYNC_URL = "/api/v1/sync"


def ids(items):
    return sorted(str(item["id"]) for item in items)


def sync(client, since=None, **params):
    if since:
        params["since"] = since
    response = client.get(SYNC_URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def sync_all(client, since=None, limit=200):
    """Follow has_more to the end; returns every page."""
    pages = []
    while True:
        page = sync(client, since, limit=limit)
        pages.append(page)
        since = page["cursor"]
        if not page["has_more"]:
            return pages


@pytest.fixture
def patient():
    return PatientFactory(locale="en")


@pytest.fixture
def doctor():
    return DoctorProfileFactory()


def test_full_snapshot_returns_everything_of_the_user_and_nothing_of_others(auth_client, patient, doctor):
    mine = AppointmentFactory(patient=patient, doctor=doctor)
    note = NotificationFactory(user=patient)
    request = support_request_create(requester=patient, subject="Help", message="Please", category="other")
    other = PatientFactory()
    AppointmentFactory(patient=other, doctor=doctor)
    NotificationFactory(user=other)
    support_request_create(requester=other, subject="Other", message="Not yours", category="other")

    page = sync(auth_client(patient))

    assert page["has_more"] is False
    assert ids(page["changes"]["appointments"]) == [str(mine.id)]
    assert ids(page["changes"]["notifications"]) == [str(note.id)]
    assert ids(page["changes"]["support_requests"]) == [str(request.id)]
    assert page["changes"]["profile"]["id"] == str(patient.id)
    assert page["changes"]["appointments"][0]["status"] == "confirmed"
    assert all(tombstones == [] for tombstones in page["deleted"].values())


def test_doctor_receives_the_appointments_they_give(auth_client, patient, doctor):
    appointment = AppointmentFactory(patient=patient, doctor=doctor)

    page = sync(auth_client(doctor.user))

    assert ids(page["changes"]["appointments"]) == [str(appointment.id)]
    assert page["changes"]["notifications"] == []


def test_offline_client_catches_up_with_exactly_the_changes_and_tombstones(auth_client, patient, doctor):
    # given a client holding a full copy
    kept = AppointmentFactory(patient=patient, doctor=doctor)
    cancelled = AppointmentFactory(patient=patient, doctor=doctor)
    deleted_note = NotificationFactory(user=patient)
    untouched_note = NotificationFactory(user=patient)
    request = support_request_create(requester=patient, subject="Refund?", message="When?", category="payment")
    client = auth_client(patient)
    cursor = sync(client)["cursor"]

    # when, while it is offline, other requests create, change and delete its data (and others')
    new_appointment = AppointmentFactory(patient=patient, doctor=doctor)
    appointment_transition(appointment=cancelled, to_status=AppointmentStatus.CANCELLED, by=patient)
    deleted_note_id = str(deleted_note.id)
    notification_delete(notification=deleted_note)
    support_request_reply(request=request, by=AdminFactory(), reply="Tomorrow.")  # also notifies
    user_update(user=patient, data={"first_name": "Renamed"})
    stranger = PatientFactory()
    AppointmentFactory(patient=stranger, doctor=doctor)
    NotificationFactory(user=stranger)
    page = sync(client, cursor)

    # then it receives exactly those changes and tombstones
    reply_note = Notification.objects.get(user=patient, template_key="support_reply")
    assert page["has_more"] is False
    assert ids(page["changes"]["appointments"]) == sorted([str(new_appointment.id), str(cancelled.id)])
    assert {a["id"]: a["status"] for a in page["changes"]["appointments"]}[str(cancelled.id)] == "cancelled"
    assert ids(page["changes"]["notifications"]) == [str(reply_note.id)]
    assert page["deleted"]["notifications"] == [deleted_note_id]
    assert page["changes"]["support_requests"][0]["status"] == "answered"
    assert page["changes"]["support_requests"][0]["staff_reply"] == "Tomorrow."
    assert page["changes"]["profile"]["first_name"] == "Renamed"
    assert page["deleted"]["appointments"] == []
    assert str(kept.id) not in ids(page["changes"]["appointments"])
    assert str(untouched_note.id) not in ids(page["changes"]["notifications"])

    # and nothing twice: the next sync is empty
    again = sync(client, page["cursor"])
    assert all(not items for key, items in again["changes"].items() if key != "profile")
    assert again["changes"]["profile"] is None
    assert all(not tombstones for tombstones in again["deleted"].values())


def test_an_object_created_and_deleted_offline_arrives_as_a_tombstone_only(auth_client, patient):
    client = auth_client(patient)
    cursor = sync(client)["cursor"]
    note = NotificationFactory(user=patient)
    note_id = str(note.id)
    notification_delete(notification=note)

    page = sync(client, cursor)

    assert page["changes"]["notifications"] == []
    assert page["deleted"]["notifications"] == [note_id]


def test_incremental_sync_pages_with_has_more_without_gaps_or_repeats(auth_client, patient):
    client = auth_client(patient)
    cursor = sync(client)["cursor"]
    created = [NotificationFactory(user=patient) for _ in range(7)]

    pages = sync_all(client, cursor, limit=3)

    assert [page["has_more"] for page in pages] == [True, True, False]
    received = [item["id"] for page in pages for item in page["changes"]["notifications"]]
    assert sorted(received) == sorted(str(n.id) for n in created)
    assert len(received) == len(set(received))


def test_full_snapshot_pages_across_resources_then_follows_changes(auth_client, patient, doctor):
    appointments = [AppointmentFactory(patient=patient, doctor=doctor) for _ in range(4)]
    notes = [NotificationFactory(user=patient) for _ in range(4)]
    client = auth_client(patient)

    first = sync(client, limit=3)
    late_note = NotificationFactory(user=patient)  # written while the snapshot is being paged
    pages = [first, *sync_all(client, first["cursor"], limit=3)]

    received_appointments = [a["id"] for page in pages for a in page["changes"]["appointments"]]
    received_notes = [n["id"] for page in pages for n in page["changes"]["notifications"]]
    assert sorted(received_appointments) == sorted(str(a.id) for a in appointments)
    assert len(received_appointments) == len(set(received_appointments))
    assert set(received_notes) == {str(n.id) for n in [*notes, late_note]}
    assert sum(page["changes"]["profile"] is not None for page in pages) == 1
    assert pages[-1]["has_more"] is False
    assert all(page["has_more"] for page in pages[:-1])


def test_log_rows_for_an_object_the_user_cannot_see_become_tombstones(auth_client, patient, doctor):
    # given a change logged for a user who is not (or no longer) allowed to see the object
    stranger = PatientFactory()
    client = auth_client(stranger)
    cursor = sync(client)["cursor"]
    appointment = AppointmentFactory(patient=patient, doctor=doctor)
    sync_record(users=[stranger], resource="appointments", object_id=appointment.id, op=SyncOp.UPSERT)

    page = sync(client, cursor)

    assert page["changes"]["appointments"] == []
    assert page["deleted"]["appointments"] == [str(appointment.id)]


def test_a_malformed_cursor_is_a_400(auth_client, patient):
    response = auth_client(patient).get(SYNC_URL, {"since": "not-a-cursor"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_cursor"
    assert response.json()["errors"][0]["attr"] == "since"


def _forged(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "make_payload",
    [
        pytest.param(lambda now: {"v": 1, "p": [1, 1], "t": now, "s": ["appointments", "not-a-uuid"]}, id="bad-pk"),
        pytest.param(lambda now: {"v": 1, "p": [1, 1], "t": now, "s": ["favorites", "\u0000"]}, id="nul-pk"),
        pytest.param(lambda now: {"v": 1, "p": [2**70, 1], "t": now}, id="txid-beyond-bigint"),
        pytest.param(lambda now: {"v": 1, "p": [1, 2**64], "t": now}, id="row-id-beyond-bigint"),
        pytest.param(lambda now: [1, 2], id="a-list"),
        pytest.param(lambda now: {"v": 1, "p": [1, 2, 3], "t": now}, id="three-positions"),
        pytest.param(lambda now: {"v": 1, "p": [1, 1], "t": now, "s": "ab"}, id="snapshot-string"),
    ],
)
def test_a_crafted_cursor_is_a_400_not_a_500(auth_client, patient, make_payload):
    client = auth_client(patient)
    client.raise_request_exception = False
    since = _forged(make_payload(int(timezone.now().timestamp())))

    response = client.get(SYNC_URL, {"since": since})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_cursor"


def test_sync_needs_authentication(api_client):
    assert api_client.get(SYNC_URL).status_code == 401


def test_cursor_is_opaque_and_monotonic(auth_client, patient):
    client = auth_client(patient)
    first = SyncCursor.decode(sync(client)["cursor"]).position
    NotificationFactory(user=patient)
    second = SyncCursor.decode(sync(client, sync(client)["cursor"])["cursor"]).position
    NotificationFactory(user=patient)
    page = sync(client, SyncCursor(position=second).encode())
    third = SyncCursor.decode(page["cursor"]).position

    assert (first.txid, first.id) <= (second.txid, second.id) < (third.txid, third.id)


def test_incremental_sync_query_count_does_not_grow_with_changes(
    auth_client, patient, doctor, django_assert_max_num_queries
):
    client = auth_client(patient)
    cursor = sync(client)["cursor"]
    for _ in range(20):
        AppointmentFactory(patient=patient, doctor=doctor)
        NotificationFactory(user=patient)

    with django_assert_max_num_queries(9):
        page = sync(client, cursor)

    assert len(page["changes"]["appointments"]) == 20


def test_full_sync_query_count_does_not_grow_with_objects(auth_client, patient, doctor, django_assert_max_num_queries):
    for _ in range(20):
        AppointmentFactory(patient=patient, doctor=doctor)
        NotificationFactory(user=patient)
    client = auth_client(patient)

    # One read per registered resource, plus auth, the safe horizon (PostgreSQL), the log and the
    # sync state around them (7 in all, measured on SQLite and PostgreSQL).
    with django_assert_max_num_queries(len(registered()) + 7):
        page = sync(client)

    assert len(page["changes"]["notifications"]) == 20


def test_rolled_back_change_is_never_logged(patient):
    with pytest.raises(RuntimeError), transaction.atomic():
        NotificationFactory(user=patient)
        raise RuntimeError

    assert not SyncChange.objects.filter(user=patient, resource="notifications").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_change_committed_by_a_transaction_that_began_before_a_sync_is_not_skipped(auth_client):
    # given a client that has synced
    patient = PatientFactory()
    client = auth_client(patient)
    cursor = sync(client)["cursor"]
    written, release, done = threading.Event(), threading.Event(), threading.Event()
    slow = {}

    def slow_transaction():
        try:
            with transaction.atomic():
                slow["note"] = NotificationFactory(user=patient)  # T1 writes first: lower id and txid
                written.set()
                release.wait(timeout=30)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    assert written.wait(timeout=30)

    # when T2 writes and commits, the client syncs, and only then T1 commits
    fast_note = NotificationFactory(user=patient)
    during = sync(client, cursor)
    release.set()
    thread.join(timeout=30)
    assert done.is_set()
    after = sync(client, during["cursor"])

    # then T1's change arrives on the next sync and nothing arrives twice
    during_ids = [n["id"] for n in during["changes"]["notifications"]]
    after_ids = [n["id"] for n in after["changes"]["notifications"]]
    assert str(slow["note"].id) not in during_ids
    assert str(slow["note"].id) in after_ids
    assert sorted(during_ids + after_ids) == sorted([str(slow["note"].id), str(fast_note.id)])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transaction_in_flight_holds_back_later_commits_until_it_ends(auth_client):
    # Why: a naive "id > cursor" reader would hand out T2's row (higher id) and move the cursor
    # past T1's lower id before T1 commits.
    patient = PatientFactory()
    client = auth_client(patient)
    cursor = sync(client)["cursor"]
    written, release = threading.Event(), threading.Event()

    def slow_transaction():
        try:
            with transaction.atomic():
                NotificationFactory(user=patient)
                written.set()
                release.wait(timeout=30)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        finally:
            connection.close()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    assert written.wait(timeout=30)
    fast_note = NotificationFactory(user=patient)

    held_back = sync(client, cursor)
    release.set()
    thread.join(timeout=30)
    after = sync(client, held_back["cursor"])

    assert held_back["changes"]["notifications"] == []
    assert [n["id"] for n in after["changes"]["notifications"]] == [str(fast_note.id)]


def test_an_expired_cursor_asks_for_a_new_snapshot(auth_client, patient):
    old = SyncCursor(
        position=Position(0, 0), issued_at=int((timezone.now() - SYNC_RETENTION - timedelta(hours=1)).timestamp())
    )

    response = auth_client(patient).get(SYNC_URL, {"since": old.encode()})

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "sync_cursor_expired"


def test_pruning_keeps_what_an_unexpired_cursor_needs(patient):
    NotificationFactory(user=patient)
    stale = NotificationFactory(user=patient)
    SyncChange.objects.filter(object_id=str(stale.id)).update(
        created_at=timezone.now() - SYNC_RETENTION - PRUNE_MARGIN - timedelta(minutes=1)
    )

    pruned = sync_prune()

    assert pruned == 1
    assert SyncChange.objects.filter(user=patient, resource="notifications").count() == 1


def test_favorites_sync_as_doctor_cards_and_removed_ones_as_tombstones(auth_client, patient, doctor):
    kept, removed = doctor, DoctorProfileFactory()
    client = auth_client(patient)
    client.post(f"/api/v1/doctors/{removed.id}/favorite")
    cursor = sync(client)["cursor"]

    client.post(f"/api/v1/doctors/{kept.id}/favorite")
    client.delete(f"/api/v1/doctors/{removed.id}/favorite")
    page = sync(client, cursor)

    assert [card["id"] for card in page["changes"]["favorites"]] == [str(kept.id)]
    assert page["changes"]["favorites"][0]["is_favorite"] is True
    assert page["deleted"]["favorites"] == [str(removed.id)]
