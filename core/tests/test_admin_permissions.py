"""Every admin action and custom admin page checks the model permission it needs: staff who may
only view are refused (the action is not offered and a forged POST changes nothing). The staff here
see every clinic (`clinics.view_all_clinics`): the clinic scope is tested in clinics.tests."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.tests.factories import StaffFactory
from clinics.site import is_project_model
from doctors.models import Review, VerificationStatus
from doctors.services import review_create
from doctors.tests.factories import CompletedAppointmentFactory, DoctorProfileFactory
from support.models import PolicySlug, SupportRequest, SupportStatus
from support.tests.factories import PolicyFactory, SupportRequestFactory

pytestmark = pytest.mark.django_db

PLATFORM = "clinics.view_all_clinics"


def test_every_admin_action_declares_the_permissions_it_needs():
    # Other packages' admins are for superusers only (clinics.site), whatever their actions.
    undeclared = [
        f"{model._meta.label}.{name}"
        for model, model_admin in admin.site._registry.items()
        if is_project_model(model)
        for name in model_admin.actions or ()
        if not getattr(getattr(model_admin, name, None) or name, "allowed_permissions", None)
    ]

    assert undeclared == []


def pending_doctor():
    return DoctorProfileFactory(verification_status=VerificationStatus.PENDING)


def review(hidden: bool = False) -> Review:
    appointment = CompletedAppointmentFactory()
    created = review_create(
        patient=appointment.patient, doctor=appointment.doctor, appointment_id=appointment.pk, rating=2
    )
    if hidden:
        Review.objects.filter(pk=created.pk).update(is_hidden=True)
    return created


ACTIONS = {
    # action: (model app.model, make the object, extra POST fields, the object's state after it ran)
    "approve_doctors": (
        "doctors.doctorprofile",
        pending_doctor,
        {"confirm": "yes", "reason": ""},
        lambda doctor: doctor.verification_status == VerificationStatus.VERIFIED,
    ),
    "reject_doctors": (
        "doctors.doctorprofile",
        pending_doctor,
        {"confirm": "yes", "reason": "Licence missing"},
        lambda doctor: doctor.verification_status == VerificationStatus.REJECTED,
    ),
    "hide_reviews": ("doctors.review", review, {}, lambda review: review.is_hidden),
    "unhide_reviews": ("doctors.review", lambda: review(hidden=True), {}, lambda review: not review.is_hidden),
    "publish": (
        "support.policy",
        lambda: PolicyFactory(slug=PolicySlug.TERMS, version=2, is_published=False, published_at=None),
        {},
        lambda policy: policy.is_published,
    ),
    "close": ("support.supportrequest", SupportRequestFactory, {}, lambda request: request.status == "closed"),
    "assign_to_me": ("support.supportrequest", SupportRequestFactory, {}, lambda request: request.assignee_id),
}


def run_action(client, action: str):
    label, make, extra, _done = ACTIONS[action]
    obj = make()
    app_label, model_name = label.split(".")
    client.post(
        reverse(f"admin:{app_label}_{model_name}_changelist"),
        {"action": action, "_selected_action": [str(obj.pk)], **extra},
    )
    obj.refresh_from_db()
    return obj


@pytest.mark.parametrize("action", ACTIONS)
def test_view_only_staff_cannot_run_the_action(client, action):
    app_label, model_name = ACTIONS[action][0].split(".")
    client.force_login(StaffFactory(permissions=[PLATFORM, f"{app_label}.view_{model_name}"]))

    obj = run_action(client, action)

    assert not ACTIONS[action][3](obj)


@pytest.mark.parametrize("action", ACTIONS)
def test_staff_with_the_change_permission_run_the_action(client, action):
    app_label, model_name = ACTIONS[action][0].split(".")
    client.force_login(
        StaffFactory(permissions=[PLATFORM, f"{app_label}.view_{model_name}", f"{app_label}.change_{model_name}"])
    )

    obj = run_action(client, action)

    assert ACTIONS[action][3](obj)


def test_view_only_staff_cannot_open_the_reply_page(client):
    request = SupportRequestFactory()
    url = reverse("admin:support_supportrequest_reply", args=[request.pk])
    client.force_login(StaffFactory(permissions=[PLATFORM, "support.view_supportrequest"]))

    page = client.get(url)
    post = client.post(url, {"reply": "Sorted."})

    assert (page.status_code, post.status_code) == (403, 403)
    request.refresh_from_db()
    assert request.status == SupportStatus.OPEN


def test_staff_with_the_change_permission_reply(client, django_capture_on_commit_callbacks):
    request = SupportRequestFactory()
    url = reverse("admin:support_supportrequest_reply", args=[request.pk])
    client.force_login(
        StaffFactory(permissions=[PLATFORM, "support.view_supportrequest", "support.change_supportrequest"])
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reply": "Sorted."})

    assert response.status_code == 302
    assert SupportRequest.objects.get(pk=request.pk).staff_reply == "Sorted."
