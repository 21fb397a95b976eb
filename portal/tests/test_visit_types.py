"""The doctor manages visit types on the schedule page, through the same services as the API."""

import pytest
from django.urls import reverse

from doctors.models import VisitType
from doctors.services import visit_type_default_ensure
from doctors.tests.factories import DoctorProfileFactory, VisitTypeFactory

pytestmark = pytest.mark.django_db


def _form(**extra):
    return {
        "vt-name_en": "Vaccination",
        "vt-name_fr": "Vaccin",
        "vt-duration_minutes": "10",
        "vt-buffer_minutes": "5",
        "vt-fee_amount": "2000",
        "vt-fee_currency": "EUR",
        **extra,
    }


def test_schedule_page_lists_visit_types_in_french(doctor_client, doctor, django_assert_max_num_queries):
    visit_type_default_ensure(doctor=doctor)
    VisitTypeFactory(doctor=doctor, fee_amount=6000)
    doctor.user.locale = "fr"
    doctor.user.save(update_fields=["locale"])

    with django_assert_max_num_queries(20):
        response = doctor_client.get(reverse("portal:schedule"), HTTP_ACCEPT_LANGUAGE="fr")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Types de consultation" in content and "Première consultation" in content and "60,00 EUR" in content


def test_doctor_adds_a_visit_type_from_the_schedule_page(doctor_client, doctor):
    response = doctor_client.post(reverse("portal:schedule"), _form())

    assert response.status_code == 302
    added = VisitType.objects.get(doctor=doctor, name_en="Vaccination")
    assert (added.name_fr, added.duration_minutes, added.buffer_minutes, added.fee_amount) == ("Vaccin", 10, 5, 2000)
    assert added.accepts_payment_methods == []
    assert VisitType.objects.filter(doctor=doctor, is_default=True).exists()


def test_a_bad_visit_type_form_is_shown_again_with_its_errors(doctor_client, doctor):
    response = doctor_client.post(reverse("portal:schedule"), _form(**{"vt-duration_minutes": "500"}))

    assert response.status_code == 400
    assert not VisitType.objects.filter(doctor=doctor, name_en="Vaccination").exists()


def test_doctor_edits_and_deactivates_a_visit_type(doctor_client, doctor):
    visit_type = VisitTypeFactory(doctor=doctor)

    assert doctor_client.get(reverse("portal:visit-type", args=[visit_type.pk])).status_code == 200
    edited = doctor_client.post(reverse("portal:visit-type", args=[visit_type.pk]), _form(**{"vt-name_en": "Check-up"}))
    deactivated = doctor_client.post(reverse("portal:visit-type-deactivate", args=[visit_type.pk]))

    assert edited.status_code == deactivated.status_code == 302
    visit_type.refresh_from_db()
    assert (visit_type.name_en, visit_type.duration_minutes, visit_type.is_active) == ("Check-up", 10, False)


def test_the_default_cannot_be_deactivated_from_the_portal(doctor_client, doctor):
    default = visit_type_default_ensure(doctor=doctor)

    response = doctor_client.post(reverse("portal:visit-type-deactivate", args=[default.pk]), follow=True)

    default.refresh_from_db()
    assert default.is_active
    assert "cannot be deactivated" in response.content.decode()


def test_another_doctors_visit_type_is_404_in_the_portal(doctor_client):
    theirs = VisitTypeFactory(doctor=DoctorProfileFactory())

    assert doctor_client.get(reverse("portal:visit-type", args=[theirs.pk])).status_code == 404
    assert doctor_client.post(reverse("portal:visit-type", args=[theirs.pk]), _form()).status_code == 404
    assert doctor_client.post(reverse("portal:visit-type-deactivate", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active and theirs.name_en == "First consultation"
