"""The admin's sign-in: the API's per-account throttle (one budget), two-factor for enrolled staff."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.contrib import admin
from django.core.cache import cache
from django.urls import reverse

from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory, StaffFactory, UserFactory
from core.models import AuditLog

pytestmark = pytest.mark.django_db

CLINIC_IP = "203.0.113.7"
LOGIN = "/admin/login/"


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "3/min", "login_account": "5/hour"},
    }


def admin_login(client, email, password="wrong-password-1", code="", ip=CLINIC_IP):
    return client.post(LOGIN, {"username": email, "password": password, "code": code}, REMOTE_ADDR=ip)


def current_code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def signed_in(client) -> bool:
    return client.get(reverse("admin:index")).status_code == 200


def test_admin_login_is_throttled_per_account_even_with_the_right_password(client, low_rates):
    staff = AdminFactory()
    for _attempt in range(3):
        assert admin_login(client, staff.email).status_code == 200

    response = admin_login(client, staff.email.upper(), password=DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many sign-in attempts" in response.content.decode()
    assert not signed_in(client)


def test_admin_and_api_sign_in_share_one_budget(client, api_client, low_rates):
    staff = AdminFactory()
    for _attempt in range(3):
        api_client.post("/api/v1/auth/login", {"email": staff.email, "password": "nope-nope-1"}, REMOTE_ADDR=CLINIC_IP)

    assert admin_login(client, staff.email, password=DEFAULT_PASSWORD).status_code == 429


def test_admin_throttle_never_blocks_a_colleague_behind_the_same_ip(client, low_rates):
    attacked, colleague = AdminFactory(), AdminFactory()
    for _attempt in range(4):
        admin_login(client, attacked.email)

    response = admin_login(client, colleague.email, password=DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def enrol(client, staff) -> str:
    client.force_login(staff)
    page = client.get(reverse("admin:two_factor"))
    secret = page.context["secret"]
    assert "<svg" in page.content.decode()
    response = client.post(reverse("admin:two_factor"), {"code": current_code(secret)})
    assert response.status_code == 302
    client.logout()
    return secret


def test_staff_enrol_an_authenticator_app_and_it_is_stored_encrypted(client):
    staff = AdminFactory()

    secret = enrol(client, staff)

    authenticator = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP)
    assert secret not in str(authenticator.data)
    assert AuditLog.objects.filter(action="auth.totp_enabled", actor=staff).exists()


def test_enrolment_refuses_a_wrong_code(client):
    staff = AdminFactory()
    client.force_login(staff)
    client.get(reverse("admin:two_factor"))

    response = client.post(reverse("admin:two_factor"), {"code": "000000"})

    assert response.status_code == 200
    assert "This code is not valid" in response.content.decode()
    assert not Authenticator.objects.filter(user=staff).exists()


def test_enrolled_staff_need_the_code_after_the_password(client):
    staff = AdminFactory()
    secret = enrol(client, staff)

    without_code = admin_login(client, staff.email, password=DEFAULT_PASSWORD)
    wrong_code = admin_login(client, staff.email, password=DEFAULT_PASSWORD, code="123456")
    assert not signed_in(client)
    with_code = admin_login(client, staff.email, password=DEFAULT_PASSWORD, code=current_code(secret))

    assert without_code.status_code == 200
    assert "authenticator app" in without_code.content.decode()
    assert wrong_code.status_code == 200
    assert with_code.status_code == 302
    assert signed_in(client)


def test_a_code_works_once(client):
    staff = AdminFactory()
    secret = enrol(client, staff)
    code = current_code(secret)
    assert admin_login(client, staff.email, password=DEFAULT_PASSWORD, code=code).status_code == 302
    client.logout()

    replay = admin_login(client, staff.email, password=DEFAULT_PASSWORD, code=code)

    assert replay.status_code == 200
    assert not signed_in(client)


def test_staff_turn_two_factor_off_with_a_current_code(client):
    staff = AdminFactory()
    secret = enrol(client, staff)
    admin_login(client, staff.email, password=DEFAULT_PASSWORD, code=current_code(secret))

    client.post(reverse("admin:two_factor"), {"code": "000000"})
    assert Authenticator.objects.filter(user=staff).exists()
    cache.clear()  # forget the used codes, as a new 30-second window would
    client.post(reverse("admin:two_factor"), {"code": current_code(secret)})  # as in the next 30-second window

    assert not Authenticator.objects.filter(user=staff).exists()


def test_a_patient_without_staff_rights_cannot_sign_in(client):
    patient = UserFactory()

    response = admin_login(client, patient.email, password=DEFAULT_PASSWORD)

    assert response.status_code == 200
    assert not signed_in(client)


@pytest.mark.parametrize(
    "label", ["django_celery_beat.periodictask", "token_blacklist.outstandingtoken", "sites.site", "djstripe.charge"]
)
def test_third_party_admins_are_for_superusers_only(client, label):
    app_label, model_name = label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    client.force_login(StaffFactory(permissions=[f"{app_label}.view_{model_name}"]))
    staff_status = client.get(url).status_code
    staff_index = client.get(reverse("admin:index")).content.decode()
    client.force_login(AdminFactory())

    assert staff_status == 403
    assert url not in staff_index
    assert client.get(url).status_code == 200


def test_every_third_party_admin_is_superuser_only():
    from clinics.site import SuperuserOnlyAdmin, is_project_model

    open_to_staff = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not is_project_model(model) and not isinstance(model_admin, SuperuserOnlyAdmin)
    ]

    assert open_to_staff == []
