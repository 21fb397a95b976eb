"""Clinic staff see and act on their clinics only, in every admin page; platform admins see all."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import AdminFactory, PatientFactory, StaffFactory
from appointments.tests.factories import AppointmentFactory
from clinics.scoping import ClinicScopedAdmin
from clinics.selectors import PLATFORM, clinic_scope_filter
from clinics.site import TabibAdminSite, is_project_model
from clinics.tests.factories import ClinicFactory
from core.testing.admin import admin_form_data
from doctors.models import Review
from doctors.services import review_create
from doctors.tests.factories import CompletedAppointmentFactory, DoctorProfileFactory
from payments.models import Payment
from support.models import SupportRequest
from waitlist.tests.factories import WaitlistEntryFactory

pytestmark = pytest.mark.django_db

SCOPED = [
    "accounts.user",
    "accounts.patientprofile",
    "appointments.appointment",
    "appointments.availabilityrule",
    "appointments.timeoff",
    "clinics.clinic",
    "doctors.doctorprofile",
    "doctors.review",
    "payments.payment",
    "support.supportrequest",
    "waitlist.waitlistentry",
]


def test_every_project_admin_declares_its_clinic_scope():
    unscoped = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if is_project_model(model) and not (isinstance(model_admin, ClinicScopedAdmin) and model_admin.clinic_scope)
    ]

    assert unscoped == []


def test_an_admin_without_a_clinic_scope_cannot_be_registered():
    class Forgotten(admin.ModelAdmin):
        pass

    with pytest.raises(ImproperlyConfigured):
        TabibAdminSite(name="probe").register(Review, Forgotten)


class ClinicWorld:
    """One clinic's doctor, patient, appointment, payment, review and support request."""

    def __init__(self, name: str) -> None:
        self.clinic = ClinicFactory(name=name)
        self.doctor = DoctorProfileFactory(clinic=self.clinic)
        self.patient = PatientFactory(email=f"patient-of-{name.lower()}@example.com")
        self.appointment = AppointmentFactory(doctor=self.doctor, patient=self.patient)
        self.payment = Payment.objects.create(
            appointment=self.appointment, method="clinic", provider="clinic", amount=5000, currency="EUR"
        )
        past = CompletedAppointmentFactory(doctor=self.doctor, patient=self.patient)
        self.review = review_create(patient=self.patient, doctor=self.doctor, appointment_id=past.pk, rating=3)
        self.support_request = SupportRequest.objects.create(
            requester=self.patient, subject=f"Help {name}", message="?", appointment=self.appointment
        )
        self.rule = self.doctor.availability_rules.create(weekday=0, start_time="09:00", end_time="12:00")
        self.time_off = self.doctor.time_off.create(
            start=self.appointment.start.replace(year=self.appointment.start.year + 1),
            end=self.appointment.end.replace(year=self.appointment.end.year + 1),
        )
        self.waitlist_entry = WaitlistEntryFactory(doctor=self.doctor, patient=self.patient)

    def objects(self) -> dict:
        return {
            "accounts.user": self.patient,
            "accounts.patientprofile": self.patient.patient_profile,
            "appointments.appointment": self.appointment,
            "appointments.availabilityrule": self.rule,
            "appointments.timeoff": self.time_off,
            "clinics.clinic": self.clinic,
            "doctors.doctorprofile": self.doctor,
            "doctors.review": self.review,
            "payments.payment": self.payment,
            "support.supportrequest": self.support_request,
            "waitlist.waitlistentry": self.waitlist_entry,
        }


@pytest.fixture
def worlds():
    return ClinicWorld("Alpha"), ClinicWorld("Beta")


def alpha_staff(alpha: ClinicWorld):
    staff = StaffFactory(
        permissions=[f"{label.split('.')[0]}.view_{label.split('.')[1]}" for label in SCOPED]
        + ["doctors.change_review", "support.view_faqentry", "core.view_auditlog"]
    )
    alpha.clinic.staff.add(staff)
    return staff


@pytest.mark.parametrize("label", SCOPED)
def test_clinic_staff_list_and_open_only_their_clinics_objects(client, worlds, label):
    alpha, beta = worlds
    client.force_login(alpha_staff(alpha))
    app_label, model_name = label.split(".")
    mine, theirs = alpha.objects()[label], beta.objects()[label]

    listed = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    open_mine = client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[mine.pk]))
    open_theirs = client.get(reverse(f"admin:{app_label}_{model_name}_change", args=[theirs.pk]))
    history_theirs = client.get(reverse(f"admin:{app_label}_{model_name}_history", args=[theirs.pk]))

    assert listed.status_code == 200
    ids = {obj.pk for obj in listed.context["cl"].result_list}
    assert mine.pk in ids
    assert theirs.pk not in ids
    assert open_mine.status_code == 200
    assert (open_theirs.status_code, history_theirs.status_code) == (404, 404)


def test_search_and_filters_stay_inside_the_clinic(client, worlds):
    alpha, beta = worlds
    client.force_login(alpha_staff(alpha))
    url = reverse("admin:appointments_appointment_changelist")

    searched = client.get(url, {"q": beta.patient.email})
    filtered = client.get(url, {"doctor__id__exact": str(beta.doctor.pk)})

    assert list(searched.context["cl"].result_list) == []
    assert beta.doctor.pk not in {a.doctor_id for a in filtered.context["cl"].result_list}


def test_an_action_forged_on_another_clinics_object_does_nothing(client, worlds):
    alpha, beta = worlds
    client.force_login(alpha_staff(alpha))

    client.post(
        reverse("admin:doctors_review_changelist"),
        {"action": "hide_reviews", "_selected_action": [str(beta.review.pk)]},
    )

    assert not Review.objects.get(pk=beta.review.pk).is_hidden


def test_platform_only_pages_are_closed_to_clinic_staff(client, worlds):
    alpha, _beta = worlds
    client.force_login(alpha_staff(alpha))

    faq = client.get(reverse("admin:support_faqentry_changelist"))
    audit = client.get(reverse("admin:core_auditlog_changelist"))
    index = client.get(reverse("admin:index")).content.decode()

    assert (faq.status_code, audit.status_code) == (403, 403)
    assert reverse("admin:support_faqentry_changelist") not in index
    assert admin.site._registry[SupportRequest.__mro__[0]].clinic_scope != PLATFORM


@pytest.mark.parametrize("label", SCOPED)
def test_platform_admins_see_both_clinics(client, worlds, label):
    alpha, beta = worlds
    client.force_login(AdminFactory())
    app_label, model_name = label.split(".")

    listed = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))

    ids = {obj.pk for obj in listed.context["cl"].result_list}
    assert {alpha.objects()[label].pk, beta.objects()[label].pk} <= ids


def test_staff_with_the_platform_permission_see_every_clinic(client, worlds):
    alpha, beta = worlds
    client.force_login(StaffFactory(permissions=["clinics.view_all_clinics", "clinics.view_clinic"]))

    listed = client.get(reverse("admin:clinics_clinic_changelist"))

    assert {alpha.clinic.pk, beta.clinic.pk} <= {c.pk for c in listed.context["cl"].result_list}


def test_clinic_staff_cannot_grant_themselves_access(client, worlds):
    alpha, _beta = worlds
    staff = alpha_staff(alpha)
    staff.user_permissions.add(Permission.objects.get(codename="change_user"))
    client.force_login(staff)
    url = reverse("admin:accounts_user_change", args=[staff.pk])
    client.post(url, admin_form_data(client.get(url), is_superuser="on", role="admin", is_staff="on", is_active="on"))

    staff.refresh_from_db()
    assert not staff.is_superuser


def test_the_index_groups_models_by_task_and_hides_what_staff_cannot_use(client, worlds):
    alpha, _beta = worlds
    client.force_login(alpha_staff(alpha))

    sections = [app["app_label"] for app in client.get(reverse("admin:index")).context["app_list"]]

    assert sections[:3] == ["desk", "doctors", "people"]
    assert "platform" not in sections  # no third-party admin, no platform page for clinic staff


@pytest.mark.parametrize("extra", [0, 10])
def test_scoped_changelists_take_a_fixed_number_of_queries(client, worlds, extra, django_assert_max_num_queries):
    alpha, _beta = worlds
    for index in range(extra):
        start = alpha.appointment.start + timedelta(hours=index + 1)
        AppointmentFactory(doctor=alpha.doctor, start=start, end=start + timedelta(minutes=30))
    client.force_login(alpha_staff(alpha))

    for label in ("appointments.appointment", "payments.payment", "support.supportrequest", "doctors.review"):
        app_label, model_name = label.split(".")
        with django_assert_max_num_queries(14):
            assert client.get(reverse(f"admin:{app_label}_{model_name}_changelist")).status_code == 200


def test_a_scope_through_foreign_keys_is_a_join_and_through_a_to_many_relation_a_subquery(worlds):
    # A pk__in subquery over a to-one path made every dashboard figure scan the whole appointments
    # table (bench/dashboard.py); a to-many path needs it, or a user with two appointments shows twice.
    alpha, beta = worlds
    staff = alpha_staff(alpha)
    later = alpha.appointment.start + timedelta(days=1)
    AppointmentFactory(doctor=alpha.doctor, patient=alpha.patient, start=later, end=later + timedelta(minutes=30))

    payments = clinic_scope_filter(queryset=Payment.objects.all(), user=staff, scope="appointment__doctor__clinic")
    people = clinic_scope_filter(queryset=User.objects.all(), user=staff, scope="appointments__doctor__clinic")

    assert "SELECT" not in str(payments.query).split("WHERE", 1)[1]
    assert "IN (SELECT" in str(people.query)
    assert list(people).count(alpha.patient) == 1
    assert beta.patient not in people
    assert list(payments) == [alpha.payment]
