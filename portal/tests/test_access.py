import pytest
from django.urls import reverse

from appointments.tests.factories import AppointmentFactory, TimeOffFactory
from core.models import AuditLog
from doctors.tests.factories import DoctorProfileFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db

PAGES = [
    "portal:today",
    "portal:today-live",
    "portal:schedule",
    "portal:appointments",
    "portal:profile",
    "portal:profile-preview",
    "portal:password-change",
    "portal:notifications",
    "portal:insights",
    "portal:messages",
]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_for_a_doctor(doctor_client, doctor, name):
    # given a doctor with an appointment, time off and a notification
    AppointmentFactory(doctor=doctor)
    TimeOffFactory(doctor=doctor)
    Notification.objects.create(user=doctor.user, type="system", template_key="x", title="Hello", body="World")
    # when they open the page
    response = doctor_client.get(reverse(name))
    # then it renders
    assert response.status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_a_patient_is_refused_with_403(client, patient, name):
    client.force_login(patient)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_an_anonymous_visitor_is_sent_to_the_login_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/?next=")


def test_the_appointment_detail_renders_for_its_doctor(doctor_client, doctor):
    appointment = AppointmentFactory(doctor=doctor, reason="Sore throat")
    response = doctor_client.get(reverse("portal:appointment-detail", args=[appointment.pk]))
    assert response.status_code == 200
    assert "Sore throat" in response.content.decode()


def test_another_doctors_appointment_is_404_on_every_route(doctor_client):
    other = AppointmentFactory(doctor=DoctorProfileFactory())
    assert doctor_client.get(reverse("portal:appointment-detail", args=[other.pk])).status_code == 404
    assert doctor_client.get(reverse("portal:receipt", args=[other.pk])).status_code == 404
    for action in ("complete", "no-show", "cancel", "mark-paid"):
        url = reverse("portal:appointment-action", args=[other.pk, action])
        assert doctor_client.post(url).status_code == 404
    other.refresh_from_db()
    assert other.status == "confirmed"


def test_another_doctors_time_off_and_notification_are_404(doctor_client):
    other = DoctorProfileFactory()
    time_off = TimeOffFactory(doctor=other)
    notification = Notification.objects.create(user=other.user, type="system", template_key="x", title="t")
    assert doctor_client.post(reverse("portal:time-off-delete", args=[time_off.pk])).status_code == 404
    assert doctor_client.post(reverse("portal:notification-read", args=[notification.pk])).status_code == 404
    notification.refresh_from_db()
    assert not notification.is_read


def test_the_login_page_signs_a_doctor_in(client, doctor, password):
    response = client.post(reverse("portal:login"), {"username": doctor.user.email, "password": password})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_a_wrong_password_shows_an_error_and_stays_signed_out(client, doctor):
    response = client.post(reverse("portal:login"), {"username": doctor.user.email, "password": "nope"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert client.get("/portal/").status_code == 302


def test_portal_sign_ins_are_audited_like_the_apis(client, doctor, password):
    client.post(reverse("portal:login"), {"username": doctor.user.email, "password": "nope"})
    client.post(reverse("portal:login"), {"username": doctor.user.email.upper(), "password": password})

    audit = AuditLog.objects.filter(target_id=str(doctor.user.pk)).order_by("id")
    assert list(audit.values_list("action", flat=True)) == ["auth.login_failed", "auth.login"]


@pytest.fixture
def login_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "3/min", "login_account": "5/hour"},
    }


def _portal_login(client, email, password="wrong-password", ip="203.0.113.7"):
    return client.post(reverse("portal:login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_repeated_sign_in_attempts_are_throttled_per_account_not_per_clinic_ip(client, doctor, password, login_rates):
    # given three wrong passwords for one doctor from the clinic's address
    for _attempt in range(3):
        assert _portal_login(client, doctor.user.email).status_code == 200
    # when the right password comes next, then it waits, with the reason and Retry-After
    response = _portal_login(client, doctor.user.email, password)
    assert response.status_code == 429
    assert "Too many sign-in attempts. Try again in 1 minute." in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert client.get("/portal/").status_code == 302
    # and a colleague behind the same address still signs in
    colleague = DoctorProfileFactory()
    assert _portal_login(client, colleague.user.email, password).status_code == 302


def test_the_portal_and_the_api_share_one_login_budget(client, api_client, doctor, login_rates):
    for _attempt in range(3):
        api_client.post(
            "/api/v1/auth/login", {"email": doctor.user.email, "password": "nope"}, REMOTE_ADDR="203.0.113.7"
        )

    assert _portal_login(client, doctor.user.email).status_code == 429


def test_logout_signs_the_doctor_out(doctor_client):
    response = doctor_client.post(reverse("portal:logout"))
    assert response.status_code == 200
    assert doctor_client.get("/portal/").status_code == 302


def test_forms_need_a_csrf_token(doctor, patient):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(doctor.user)
    appointment = AppointmentFactory(doctor=doctor)
    url = reverse("portal:appointment-action", args=[appointment.pk, "cancel"])
    assert client.post(url).status_code == 403
