"""No double booking, guaranteed by PostgreSQL.

Two exclusion constraints over `tstzrange(start, end)` for active statuses: one per doctor, one per
patient. They are added with the schema editor on PostgreSQL only and kept out of the model state:
SQLite cannot express them (it rebuilds tables from the model state and would choke on
`EXCLUDE USING gist`), so there the booking service's IMMEDIATE transaction + re-check does the job.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models
from django.db.models import Func

ACTIVE = ("pending_payment", "confirmed")


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()


def _constraints():
    active = models.Q(status__in=ACTIVE)
    period = TsTzRange("start", "end", models.Value("[)"))
    return [
        ExclusionConstraint(
            name="appointment_no_doctor_overlap",
            expressions=[("doctor", RangeOperators.EQUAL), (period, RangeOperators.OVERLAPS)],
            condition=active,
        ),
        ExclusionConstraint(
            name="appointment_no_patient_overlap",
            expressions=[("patient", RangeOperators.EQUAL), (period, RangeOperators.OVERLAPS)],
            condition=active,
        ),
    ]


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    appointment = apps.get_model("appointments", "Appointment")
    for constraint in _constraints():
        schema_editor.add_constraint(appointment, constraint)


def remove_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    appointment = apps.get_model("appointments", "Appointment")
    for constraint in _constraints():
        schema_editor.remove_constraint(appointment, constraint)


class Migration(migrations.Migration):

    dependencies = [
        ("appointments", "0002_calendar_feed"),
    ]

    operations = [
        BtreeGistExtension(),  # a no-op on other databases
        migrations.RunPython(add_constraints, remove_constraints),
    ]
