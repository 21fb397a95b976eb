import importlib

import pytest
from django.apps import apps

from doctors.models import DoctorProfile
from doctors.tests.factories import DoctorProfileFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("doctors.migrations.0006_clinics_from_clinic_name")


def test_existing_clinic_names_become_clinics_their_doctors_belong_to():
    first = DoctorProfileFactory(clinic_name="Cabinet Moreau", clinic_address="12 rue de Rivoli", city="Paris")
    colleague = DoctorProfileFactory(clinic_name="Cabinet Moreau", clinic_address="12 rue de Rivoli", city="Paris")
    elsewhere = DoctorProfileFactory(clinic_name="Cabinet Moreau", city="Lyon")
    alone = DoctorProfileFactory(clinic_name="")

    migration.clinics_from_clinic_names(apps, None)

    first, colleague, elsewhere, alone = (
        DoctorProfile.objects.get(pk=d.pk) for d in (first, colleague, elsewhere, alone)
    )
    assert first.clinic_id == colleague.clinic_id
    assert first.clinic.address == "12 rue de Rivoli"
    assert elsewhere.clinic_id not in (None, first.clinic_id)
    assert alone.clinic_id is None
    assert first.clinic_name == "Cabinet Moreau"  # the old column stays for the readers
