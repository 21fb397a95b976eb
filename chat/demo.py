"""Demo conversations between demo patients and the doctors they have appointments with."""

from accounts.models import Role, User
from appointments.models import Appointment
from chat.models import Message, Thread
from chat.services import CHAT_CLOSED_STATUSES, message_send
from doctors.models import DoctorProfile

SCRIPT = [
    ("patient", "Hello doctor, I have a question before my appointment."),
    ("doctor", "Hello! Of course, go ahead."),
    ("patient", "Should I bring my previous test results?"),
    ("doctor", "Yes please, and the list of medicines you take."),
]


def _pairs() -> list[tuple[User, DoctorProfile]]:
    appointments = (
        Appointment.objects.filter(patient__email__endswith="@demo.tabib.local")
        .exclude(status__in=CHAT_CLOSED_STATUSES)
        .select_related("patient", "doctor__user")
        .order_by("created_at")
    )
    pairs: list[tuple[User, DoctorProfile]] = []
    for appointment in appointments:
        pair = (appointment.patient, appointment.doctor)
        if pair not in pairs:
            pairs.append(pair)
    if not pairs:
        patient = User.objects.filter(role=Role.PATIENT, email__endswith="@demo.tabib.local").order_by("email").first()
        doctor = DoctorProfile.objects.select_related("user").order_by("created_at").first()
        if patient and doctor:
            pairs.append((patient, doctor))
    return pairs[:4]


def seed(out) -> None:
    for patient, doctor in _pairs():
        thread, _created = Thread.objects.get_or_create(patient=patient, doctor=doctor)
        for index, (side, body) in enumerate(SCRIPT):
            sender = patient if side == "patient" else doctor.user
            # client_id makes the seed idempotent: a second run finds every message already there.
            message_send(thread=thread, sender=sender, body=body, client_id=f"demo-{thread.pk}-{index}")
        count = Message.objects.filter(thread=thread).count()
        out.write(f"  chat     {patient.email} <-> {doctor.user.email} ({count} messages)")
