"""`patient_overlap` per person attending: the account holder and each of their relatives.

The per-patient exclusion constraint of 0003 becomes one over (patient, attendee, time range): a
parent may book two children with two doctors at the same time, never one person twice at once.
The attendee is `COALESCE(relative_id, <nil uuid>)`, so an appointment the account holder attends
(relative NULL) still conflicts with another one of theirs: NULLs never compare equal, the nil
UUID does.

Rolling deploy: the new constraint is added before the old one is dropped, so the database never
lacks a guard; what it allows more (overlaps of different people of one account) is what the
previous release's service check refuses anyway. Its name contains the old one, which the previous
release's code looks for to answer `patient_overlap`. PostgreSQL only, as in 0003.
"""

import uuid

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import migrations, models
from django.db.models import Func
from django.db.models.functions import Coalesce

ACTIVE = ("pending_payment", "confirmed")
NIL_UUID = uuid.UUID(int=0)


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()


def _per_patient():
    return ExclusionConstraint(
        name="appointment_no_patient_overlap",
        expressions=[("patient", RangeOperators.EQUAL), (TsTzRange("start", "end", models.Value("[)")), RangeOperators.OVERLAPS)],
        condition=models.Q(status__in=ACTIVE),
    )


def _per_attendee():
    attendee = Coalesce("relative", models.Value(NIL_UUID, output_field=models.UUIDField()))
    return ExclusionConstraint(
        name="appointment_no_patient_overlap_per_attendee",
        expressions=[
            ("patient", RangeOperators.EQUAL),
            (attendee, RangeOperators.EQUAL),
            (TsTzRange("start", "end", models.Value("[)")), RangeOperators.OVERLAPS),
        ],
        condition=models.Q(status__in=ACTIVE),
    )


def per_attendee(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    appointment = apps.get_model("appointments", "Appointment")
    schema_editor.add_constraint(appointment, _per_attendee())
    schema_editor.remove_constraint(appointment, _per_patient())


def per_patient(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    appointment = apps.get_model("appointments", "Appointment")
    schema_editor.add_constraint(appointment, _per_patient())
    schema_editor.remove_constraint(appointment, _per_attendee())


class Migration(migrations.Migration):

    dependencies = [
        ("appointments", "0004_appointment_relative"),
    ]

    operations = [
        migrations.RunPython(per_attendee, per_patient),
    ]
