"""The doctor's pages show who attends a visit booked for a relative, and only those relatives."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import RelativeFactory
from appointments.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_the_lists_and_the_detail_show_the_attendee(doctor_client, doctor, patient):
    lea = RelativeFactory(user=patient, first_name="Léa", last_name="Martin")
    RelativeFactory(user=patient, first_name="Noé", last_name="Martin")  # never attends this doctor
    appointment = AppointmentFactory(doctor=doctor, patient=patient, relative=lea)

    listed = doctor_client.get(reverse("portal:appointments")).content.decode()
    detail = doctor_client.get(reverse("portal:appointment-detail", args=[appointment.pk])).content.decode()

    assert "Léa Martin" in listed and f"booked by {patient.full_name}" in listed
    assert 'id="attendee">Léa Martin · Child · born 2016-04-02<' in detail
    assert "Noé" not in listed + detail


def test_the_appointments_list_with_attendees_takes_a_fixed_number_of_queries(
    doctor_client, doctor, patient, django_assert_max_num_queries
):
    for day in range(12):
        start = timezone.now() + timedelta(days=day + 1)
        relative = RelativeFactory(user=patient) if day % 2 else None
        AppointmentFactory(
            doctor=doctor, patient=patient, relative=relative, start=start, end=start + timedelta(minutes=30)
        )

    with django_assert_max_num_queries(7):
        response = doctor_client.get(reverse("portal:appointments"))

    assert len(response.context["page"].object_list) == 12


def test_the_name_filter_finds_the_attendee(doctor_client, doctor, patient):
    lea = RelativeFactory(user=patient, first_name="Léa", last_name="Zerbib")
    hers = AppointmentFactory(doctor=doctor, patient=patient, relative=lea)
    later = hers.start + timedelta(days=1)
    AppointmentFactory(doctor=doctor, start=later, end=later + timedelta(minutes=30))

    response = doctor_client.get(reverse("portal:appointments"), {"q": "zerbib"})

    assert [a.pk for a in response.context["page"].object_list] == [hers.pk]
