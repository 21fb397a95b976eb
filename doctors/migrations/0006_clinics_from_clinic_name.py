"""Data: one clinic per distinct (clinic name, city) of the doctors, each doctor attached to it.

Expand step: `clinic_name`/`clinic_address` stay (the API and receipts read them); reversing only
detaches the doctors (the clinics may have gained staff since)."""

from django.db import migrations


def clinics_from_clinic_names(apps, schema_editor):
    Clinic = apps.get_model("clinics", "Clinic")
    DoctorProfile = apps.get_model("doctors", "DoctorProfile")
    doctors = DoctorProfile.objects.filter(clinic__isnull=True).exclude(clinic_name="").order_by("created_at")
    for doctor in doctors.iterator():
        clinic, _created = Clinic.objects.get_or_create(
            name=doctor.clinic_name.strip(),
            city=doctor.city.strip(),
            defaults={
                "address": doctor.clinic_address,
                "country": doctor.country,
                "timezone": doctor.timezone,
                "languages": doctor.languages or ["en"],
            },
        )
        DoctorProfile.objects.filter(pk=doctor.pk).update(clinic=clinic)


def detach_doctors(apps, schema_editor):
    apps.get_model("doctors", "DoctorProfile").objects.update(clinic=None)


class Migration(migrations.Migration):
    dependencies = [("doctors", "0005_clinic"), ("clinics", "0001_initial")]

    operations = [migrations.RunPython(clinics_from_clinic_names, detach_doctors)]
