"""The hot lists build their JSON directly; it must be exactly what the serializers declare."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from rest_framework import serializers

from appointments.models import AppointmentStatus
from appointments.selectors import appointment_cards_complete, appointment_list_for_user
from appointments.serializers import AppointmentSerializer
from appointments.tests.factories import AppointmentFactory
from doctors.serializers import DoctorCardSerializer
from doctors.tests.factories import DoctorProfileFactory, SpecialtyFactory
from payments.models import Payment

pytestmark = pytest.mark.django_db


def drf_fields(serializer, instance) -> dict:
    """DRF's own field-by-field output of the serializer's declared fields."""
    return dict(serializers.ModelSerializer.to_representation(serializer, instance))


def test_the_card_is_what_its_serializer_declares_in_both_languages():
    doctor = DoctorProfileFactory(specialties=[SpecialtyFactory(), SpecialtyFactory()], avg_rating=4.25)
    doctor.next_available_at = timezone.now() + timedelta(days=2, microseconds=7)
    plain = DoctorProfileFactory(title="", languages=[], next_available_at=None)

    for language in ("en", "fr"):
        with translation.override(language):
            for card, favorites in ((doctor, {str(doctor.pk)}), (doctor, set()), (plain, set())):
                serializer = DoctorCardSerializer(card, context={"favorite_ids": favorites})
                assert serializer.data == drf_fields(serializer, card)


def test_an_appointment_is_what_its_serializer_declares(patient, django_assert_num_queries):
    doctor = DoctorProfileFactory(specialties=[SpecialtyFactory(name_fr=""), SpecialtyFactory()])
    now = timezone.now()
    paid = AppointmentFactory(doctor=doctor, patient=patient, start=now + timedelta(days=1))
    Payment.objects.create(
        appointment=paid, method="card", provider="stripe", amount=5000, currency="EUR", status="succeeded"
    )
    AppointmentFactory(
        doctor=doctor,
        patient=patient,
        start=now + timedelta(days=2),
        status=AppointmentStatus.PENDING_PAYMENT,
        hold_until=now + timedelta(minutes=10),
        reason="",
    )
    AppointmentFactory(doctor=doctor, patient=patient, start=now + timedelta(days=3), reason="Chest pain, étourdi")

    appointments = list(appointment_list_for_user(user=patient, scope="upcoming"))
    appointment_cards_complete(appointments)

    assert len(appointments) == 3
    for language in ("en", "fr"):
        with translation.override(language):
            # The list loads only the columns the representation reads: nothing is fetched afterwards
            # (a specialty without a French name falls back to its English one).
            with django_assert_num_queries(0):
                output = AppointmentSerializer(appointments, many=True).data
            for appointment, data in zip(appointments, output, strict=True):
                serializer = AppointmentSerializer(appointment)
                expected = drf_fields(serializer, appointment)
                expected["doctor"] = drf_fields(DoctorCardSerializer(), appointment.doctor)
                assert data == expected
