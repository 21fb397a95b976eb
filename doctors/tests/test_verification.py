import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import AdminFactory, DoctorUserFactory
from core.models import AuditLog
from doctors.models import DoctorProfile, VerificationStatus
from doctors.services import doctor_verify
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def pending_doctor(**user_fields):
    return DoctorProfileFactory(user=DoctorUserFactory(**user_fields), verification_status=VerificationStatus.PENDING)


def test_approving_makes_the_doctor_visible_notifies_and_audits(api_client):
    doctor, staff = pending_doctor(locale="fr", first_name="Hélène"), AdminFactory()

    doctor_verify(doctor=doctor, by=staff, approve=True, reason="")

    doctor.refresh_from_db()
    assert (doctor.verification_status, doctor.verified_by) == (VerificationStatus.VERIFIED, staff)
    notification = Notification.objects.get(user=doctor.user)
    assert notification.template_key == "doctor_verified"
    assert "vérifié" in notification.title
    assert AuditLog.objects.filter(action="doctor.verified", target_id=str(doctor.pk), actor=staff).exists()
    assert api_client.get(f"/api/v1/doctors/{doctor.pk}").status_code == 200


def test_rejecting_hides_the_doctor_and_sends_the_reason(api_client):
    doctor = DoctorProfileFactory()

    doctor_verify(doctor=doctor, by=AdminFactory(), approve=False, reason="Licence number missing")

    doctor.refresh_from_db()
    assert doctor.verification_status == VerificationStatus.REJECTED
    assert "Licence number missing" in Notification.objects.get(user=doctor.user).body
    assert api_client.get(f"/api/v1/doctors/{doctor.pk}").status_code == 404


def test_verify_doctor_command_approves_by_email():
    doctor = pending_doctor(email="new.doc@example.com")

    call_command("verify_doctor", "NEW.doc@example.com")

    doctor.refresh_from_db()
    assert doctor.verification_status == VerificationStatus.VERIFIED


def test_verify_doctor_command_rejects_with_a_reason():
    doctor = pending_doctor(email="late.doc@example.com")

    call_command("verify_doctor", "late.doc@example.com", "--reject", "--reason", "Unreadable diploma")

    doctor.refresh_from_db()
    assert (doctor.verification_status, doctor.verification_reason) == ("rejected", "Unreadable diploma")


def test_verify_doctor_command_needs_a_reason_to_reject_and_a_known_email():
    pending_doctor(email="x.doc@example.com")

    with pytest.raises(CommandError):
        call_command("verify_doctor", "x.doc@example.com", "--reject")
    with pytest.raises(CommandError):
        call_command("verify_doctor", "nobody@example.com")


def test_admin_bulk_reject_asks_for_a_reason_then_applies(client):
    staff = AdminFactory()
    client.force_login(staff)
    doctors = [pending_doctor(), pending_doctor()]
    selection = {"action": "reject_doctors", "_selected_action": [str(d.pk) for d in doctors]}

    confirmation = client.post("/admin/doctors/doctorprofile/", selection)
    missing_reason = client.post("/admin/doctors/doctorprofile/", {**selection, "confirm": "yes", "reason": ""})
    done = client.post("/admin/doctors/doctorprofile/", {**selection, "confirm": "yes", "reason": "Incomplete"})

    assert confirmation.status_code == 200
    assert b"Reject these doctors?" in confirmation.content
    assert missing_reason.status_code == 200
    assert done.status_code == 302
    assert set(DoctorProfile.objects.values_list("verification_status", flat=True)) == {"rejected"}
    assert Notification.objects.filter(template_key="doctor_rejected").count() == 2


def test_admin_bulk_approve(client):
    client.force_login(AdminFactory())
    doctor = pending_doctor()

    client.post(
        "/admin/doctors/doctorprofile/",
        {"action": "approve_doctors", "_selected_action": [str(doctor.pk)], "confirm": "yes", "reason": ""},
    )

    doctor.refresh_from_db()
    assert doctor.verification_status == VerificationStatus.VERIFIED


def test_admin_lists_put_the_verification_queue_first(client):
    client.force_login(AdminFactory())
    DoctorProfileFactory(user=DoctorUserFactory(last_name="Verifiedson"))
    pending_doctor(last_name="Waitingson")

    page = client.get("/admin/doctors/doctorprofile/").content.decode()
    reviews = client.get("/admin/doctors/review/")
    specialties = client.get("/admin/doctors/specialty/add/")

    assert page.index("Waitingson") < page.index("Verifiedson")
    assert reviews.status_code == 200
    assert "name_fr" in specialties.content.decode()


def test_admin_hides_a_review_from_the_moderation_queue(client):
    from doctors.services import review_create
    from doctors.tests.factories import CompletedAppointmentFactory

    client.force_login(AdminFactory())
    appointment = CompletedAppointmentFactory()
    review = review_create(
        patient=appointment.patient, doctor=appointment.doctor, appointment_id=appointment.pk, rating=1
    )

    client.post("/admin/doctors/review/", {"action": "hide_reviews", "_selected_action": [str(review.pk)]})

    review.refresh_from_db()
    appointment.doctor.refresh_from_db()
    assert review.is_hidden
    assert appointment.doctor.rating_count == 0
