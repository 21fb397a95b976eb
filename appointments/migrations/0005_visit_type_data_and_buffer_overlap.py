"""Appointments and visit types.

Data: each existing appointment gets its doctor's default visit type (built from the slot length and
fee that applied to it, doctors 0008).

PostgreSQL: the per-doctor no-overlap exclusion constraint now spans `[start, blocked_until)`, the
visit plus its buffer, so a 40-minute visit and a 20-minute one (buffers included) can never overlap
whatever the race. Rows written by the previous release leave `blocked_until` empty and count up to
their `end` (COALESCE), as before. The per-patient constraint is untouched: a patient is not busy
during the doctor's buffer.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import migrations, models
from django.db.models import Func
from django.db.models.functions import Coalesce

ACTIVE = ("pending_payment", "confirmed")
NAME = "appointment_no_doctor_overlap"


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()


def _doctor_constraint(*, with_buffer: bool) -> ExclusionConstraint:
    until = Coalesce("blocked_until", "end") if with_buffer else models.F("end")
    return ExclusionConstraint(
        name=NAME,
        expressions=[("doctor", RangeOperators.EQUAL), (TsTzRange("start", until, models.Value("[)")), RangeOperators.OVERLAPS)],
        condition=models.Q(status__in=ACTIVE),
    )


def _swap(schema_editor, apps, *, with_buffer: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    appointment = apps.get_model("appointments", "Appointment")
    schema_editor.remove_constraint(appointment, _doctor_constraint(with_buffer=not with_buffer))
    schema_editor.add_constraint(appointment, _doctor_constraint(with_buffer=with_buffer))


def constraint_with_buffer(apps, schema_editor):
    _swap(schema_editor, apps, with_buffer=True)


def constraint_without_buffer(apps, schema_editor):
    _swap(schema_editor, apps, with_buffer=False)


def visit_types_fill(apps, schema_editor):
    Appointment = apps.get_model("appointments", "Appointment")
    VisitType = apps.get_model("doctors", "VisitType")
    for doctor_id, visit_type_id in VisitType.objects.filter(is_default=True).values_list("doctor_id", "pk"):
        Appointment.objects.filter(doctor_id=doctor_id, visit_type__isnull=True).update(visit_type_id=visit_type_id)


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_visit_type"),
        ("doctors", "0008_default_visit_types"),
    ]

    operations = [
        migrations.RunPython(visit_types_fill, migrations.RunPython.noop),
        migrations.RunPython(constraint_with_buffer, constraint_without_buffer),
    ]
