"""ICS (RFC 5545) for one appointment and for a user's subscription feed, with the icalendar package."""

from collections.abc import Iterable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from appointments.models import Appointment, AppointmentStatus
from appointments.zones import when_text

PRODID = "-//Tabib//Appointments//EN"


def _description(appointment: Appointment, reader) -> str:
    doctor = appointment.doctor
    when = when_text(moment=appointment.start, clinic_zone=doctor.timezone, reader_zone=reader.timezone)
    lines = [
        _("Doctor: %(name)s") % {"name": str(doctor)},
        _("Patient: %(name)s") % {"name": appointment.patient.full_name},
    ]
    if appointment.relative is not None:
        lines.append(_("For: %(name)s") % {"name": appointment.relative.full_name})
    lines.append(_("Time: %(when)s clinic time (%(zone)s)") % {"when": when.clinic, "zone": when.clinic_zone})
    if when.own:
        lines.append(_("Your time zone: %(when)s (%(zone)s)") % {"when": when.own, "zone": when.own_zone})
    if doctor.clinic_name or doctor.clinic_address:
        lines.append(
            _("Place: %(place)s") % {"place": ", ".join(filter(None, [doctor.clinic_name, doctor.clinic_address]))}
        )
    return "\n".join(lines)


def _event(appointment: Appointment, reader) -> Event:
    doctor = appointment.doctor
    event = Event()
    event.add("uid", f"{appointment.pk}@tabib")
    event.add("dtstamp", appointment.updated_at)
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    if reader.pk == doctor.user_id:
        attendee = appointment.relative or appointment.patient
        event.add("summary", _("Appointment with %(name)s") % {"name": attendee.full_name})
    else:
        event.add("summary", _("Appointment with %(name)s") % {"name": str(doctor)})
    event.add("description", _description(appointment, reader))
    location = ", ".join(filter(None, [doctor.clinic_name, doctor.clinic_address, doctor.city]))
    if location:
        event.add("location", location)
    cancelled = appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.EXPIRED)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("url", f"{settings.FRONTEND_URL}/appointments/{appointment.pk}")
    return event


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def appointment_ics(*, appointment: Appointment, reader) -> bytes:
    """One VEVENT, written in `reader`'s locale."""
    with translation.override(reader.locale):
        calendar = _calendar(_("Tabib appointment"))
        calendar.add_component(_event(appointment, reader))
        return calendar.to_ical()


def calendar_feed_ics(*, appointments: Iterable[Appointment], reader) -> bytes:
    with translation.override(reader.locale):
        calendar = _calendar(_("Tabib appointments"))
        for appointment in appointments:
            calendar.add_component(_event(appointment, reader))
        return calendar.to_ical()
