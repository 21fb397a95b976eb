"""Cost of `GET /api/v1/sync` for a heavy user: 1,000 appointments and 10,000 messages.

The chat app has no models in this tree yet, so the 10,000 "messages" are 10,000 notifications
(same shape of work for the sync: one change-log row and one small row each). 50,000 change-log
rows of other users sit in the same table so the per-user index has something to skip.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tabib_<name> .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tabib_<name> .venv/bin/python bench/sync.py

Prints p50/p95/p99 in ms for: a full snapshot (every page, limit 1000), one full-snapshot page,
an incremental sync with 20 changes waiting, and an empty incremental sync (the common poll).
Data is created once (users under @bench.tabib.local) and reused by later runs.
"""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from appointments.models import Appointment, AppointmentStatus  # noqa: E402
from appointments.sync import appointment_sync_record  # noqa: E402
from core.models import SyncChange  # noqa: E402
from doctors.models import DoctorProfile  # noqa: E402
from notifications.models import Notification  # noqa: E402

APPOINTMENTS = 1_000
MESSAGES = 10_000
OTHER_LOG_ROWS = 50_000
PAGE = 1_000
EMAIL = "patient@bench.tabib.local"


def ensure_data() -> User:
    patient, created = User.objects.get_or_create(email=EMAIL, defaults={"role": Role.PATIENT})
    if not created and Appointment.objects.filter(patient=patient).count() >= APPOINTMENTS:
        return patient
    print("creating bench data...", flush=True)
    with transaction.atomic():
        doctor_user, _ = User.objects.get_or_create(email="doctor@bench.tabib.local", defaults={"role": Role.DOCTOR})
        doctor, _ = DoctorProfile.objects.get_or_create(user=doctor_user, defaults={"timezone": "Europe/Paris"})
        other, _ = User.objects.get_or_create(email="other@bench.tabib.local", defaults={"role": Role.PATIENT})
        start = timezone.now().replace(microsecond=0) - timedelta(days=500)
        appointments = Appointment.objects.bulk_create(
            [
                Appointment(
                    doctor=doctor,
                    patient=patient,
                    start=start + timedelta(hours=12 * i),
                    end=start + timedelta(hours=12 * i, minutes=30),
                    status=AppointmentStatus.COMPLETED,
                    payment_method="clinic",
                )
                for i in range(APPOINTMENTS)
            ]
        )
        notifications = Notification.objects.bulk_create(
            [
                Notification(
                    user=patient,
                    type="chat",
                    template_key="chat_message",
                    title=f"Message {i}",
                    body="Bonjour docteur, je voulais savoir si le rendez-vous tient toujours.",
                )
                for i in range(MESSAGES)
            ],
            batch_size=2000,
        )
        # What the services' sync_record calls write (bulk_create writes only the rows).
        rows = [
            SyncChange(user=patient, resource="appointments", object_id=str(a.pk), op="upsert") for a in appointments
        ]
        rows += [
            SyncChange(user=patient, resource="notifications", object_id=str(n.pk), op="upsert") for n in notifications
        ]
        rows += [
            SyncChange(user=other, resource="notifications", object_id=f"x{i}", op="upsert")
            for i in range(OTHER_LOG_ROWS)
        ]
        SyncChange.objects.bulk_create(rows, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return patient


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def report(label: str, samples: list[float]) -> None:
    quantiles = statistics.quantiles(samples, n=100, method="inclusive")
    print(
        f"{label:<44} n={len(samples):<4} p50={quantiles[49]:8.1f}  p95={quantiles[94]:8.1f}  "
        f"p99={quantiles[98]:8.1f} ms"
    )


def main() -> None:
    patient = ensure_data()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(patient).access_token}")

    def get(**params):
        response = client.get("/api/v1/sync", params)
        assert response.status_code == 200, response.content
        return response.json()

    def full_sync() -> str:
        page = get(limit=PAGE)
        count = 0
        while True:
            count += sum(len(v) for k, v in page["changes"].items() if isinstance(v, list))
            if not page["has_more"]:
                break
            page = get(since=page["cursor"], limit=PAGE)
        assert count >= APPOINTMENTS + MESSAGES, count
        return page["cursor"]

    print(
        f"database: {connection.vendor} ({settings.DATABASES['default']['NAME']}); "
        f"{APPOINTMENTS} appointments, {MESSAGES} messages (as notifications), page limit {PAGE}"
    )
    cursor = full_sync()  # warm up
    report("full snapshot, all pages (~12 requests)", [timed(full_sync) for _ in range(10)])
    report("full snapshot, first page only", [timed(lambda: get(limit=PAGE)) for _ in range(50)])

    appointment_ids = list(Appointment.objects.filter(patient=patient).values_list("pk", flat=True)[:10])
    incremental = []
    for round_number in range(50):
        with transaction.atomic():
            for appointment in Appointment.objects.filter(pk__in=appointment_ids).select_related("doctor"):
                appointment.save(update_fields=["updated_at"])
                appointment_sync_record(appointment)  # as the services that change an appointment do
            for i in range(10):
                Notification.objects.create(
                    user=patient, type="chat", template_key="chat_message", title=f"New {round_number}-{i}"
                )
        started = time.perf_counter()
        page = get(since=cursor, limit=PAGE)
        incremental.append((time.perf_counter() - started) * 1000)
        assert len(page["changes"]["appointments"]) == 10 and len(page["changes"]["notifications"]) == 10
        cursor = page["cursor"]
    report("incremental, 20 changes waiting", incremental)
    report("incremental, nothing changed", [timed(lambda: get(since=cursor, limit=PAGE)) for _ in range(200)])


if __name__ == "__main__":
    main()
