"""Data: every doctor gets their default visit type, built from `slot_minutes` and `fee`, so a client
that names no visit type books exactly as before; `min_fee` starts as that fee.

PostgreSQL only: trigram GIN indexes on the active visit types' names (EN and FR) serve the
directory's `visit_type=` filter (an `UPPER(name) LIKE UPPER('%...%')`); SQLite has none and needs none.
"""

from django.db import migrations

DEFAULT_NAME = {"en": "Consultation", "fr": "Consultation"}

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(
        f"CREATE INDEX IF NOT EXISTS visit_type_name_{lang}_trgm_idx ON doctors_visittype "
        f"USING gin (UPPER(name_{lang}) gin_trgm_ops) WHERE is_active"
        for lang in ("en", "fr")
    ),
]
PG_BACKWARD = [f"DROP INDEX IF EXISTS visit_type_name_{lang}_trgm_idx" for lang in ("en", "fr")]


def default_visit_types_create(apps, schema_editor):
    DoctorProfile = apps.get_model("doctors", "DoctorProfile")
    VisitType = apps.get_model("doctors", "VisitType")
    doctors = DoctorProfile.objects.exclude(visit_types__is_default=True).order_by("created_at")
    for doctor in doctors.iterator():
        VisitType.objects.create(
            doctor=doctor,
            name=DEFAULT_NAME["en"],
            name_en=DEFAULT_NAME["en"],
            name_fr=DEFAULT_NAME["fr"],
            description="",
            duration_minutes=doctor.slot_minutes,
            buffer_minutes=0,
            fee_amount=doctor.fee_amount,
            fee_currency=doctor.fee_currency,
            is_default=True,
            is_active=True,
            accepts_payment_methods=[],
        )
        DoctorProfile.objects.filter(pk=doctor.pk).update(
            min_fee_amount=doctor.fee_amount, min_fee_currency=doctor.fee_currency
        )


def default_visit_types_delete(apps, schema_editor):
    apps.get_model("doctors", "DoctorProfile").objects.update(min_fee_amount=None, min_fee_currency="")
    apps.get_model("doctors", "VisitType").objects.filter(is_default=True).delete()


def pg_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_FORWARD:
            schema_editor.execute(statement)


def pg_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("doctors", "0007_visit_types")]

    operations = [
        migrations.RunPython(default_visit_types_create, default_visit_types_delete),
        migrations.RunPython(pg_indexes_create, pg_indexes_drop),
    ]
