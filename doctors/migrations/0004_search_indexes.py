"""PostgreSQL-only search indexes, and search_name for rows that predate it.

Trigram GIN on search_name serves `q` (a LIKE '%...%'); GIN jsonb_path_ops on languages serves
`languages @> '["fr"]'`. SQLite has neither and does not need them at directory sizes it serves.
"""

from django.db import migrations
from unidecode import unidecode

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS doctor_search_name_trgm_idx ON doctors_doctorprofile "
    "USING gin (search_name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS doctor_languages_gin_idx ON doctors_doctorprofile "
    "USING gin (languages jsonb_path_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS doctor_languages_gin_idx",
    "DROP INDEX IF EXISTS doctor_search_name_trgm_idx",
]


def pg_indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_FORWARD:
            schema_editor.execute(statement)


def pg_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in PG_BACKWARD:
            schema_editor.execute(statement)


def search_names_fill(apps, schema_editor):
    DoctorProfile = apps.get_model("doctors", "DoctorProfile")
    for profile in DoctorProfile.objects.select_related("user").filter(search_name=""):
        full = f"{profile.user.first_name} {profile.user.last_name}"
        profile.search_name = " ".join(unidecode(full).lower().split())
        profile.save(update_fields=["search_name"])


class Migration(migrations.Migration):

    dependencies = [
        ("doctors", "0003_directory"),
    ]

    operations = [
        migrations.RunPython(pg_indexes_create, pg_indexes_drop),
        migrations.RunPython(search_names_fill, migrations.RunPython.noop),
    ]
