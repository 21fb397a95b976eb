from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import AvailabilityRule, TimeOff
from appointments.slots import doctor_zone, local_today
from appointments.tests.factories import AppointmentFactory, AvailabilityRuleFactory, TimeOffFactory
from notifications.models import Notification
from payments.models import Payment
from waitlist.tests.factories import WaitlistEntryFactory

pytestmark = pytest.mark.django_db


def _today_at(doctor, hour):
    zone = doctor_zone(doctor)
    return datetime.combine(local_today(doctor=doctor), time(hour), tzinfo=zone)


# --- Today ---------------------------------------------------------------------------------------------


def test_today_lists_todays_queue_and_the_next_days_with_counters(doctor_client, doctor):
    # given two appointments today (one by card), one tomorrow and one in ten days
    late = _today_at(doctor, 23)
    first = AppointmentFactory(
        doctor=doctor,
        start=late,
        end=late + timedelta(minutes=30),
        reason="Migraine",
        patient__first_name="Yasmine",
        patient__last_name="Haddad",
    )
    early = _today_at(doctor, 0)
    AppointmentFactory(doctor=doctor, start=early, end=early + timedelta(minutes=30), payment_method="card")
    tomorrow = _today_at(doctor, 10) + timedelta(days=1)
    AppointmentFactory(doctor=doctor, start=tomorrow, end=tomorrow + timedelta(minutes=30))
    later = _today_at(doctor, 10) + timedelta(days=10)
    AppointmentFactory(doctor=doctor, start=later, end=later + timedelta(minutes=30))
    # when the doctor opens Today
    response = doctor_client.get(reverse("portal:today"))
    board = response.context["board"]
    # then today's queue, the week and the pending clinic payments are counted
    assert [a.pk for a in board.today_appointments][-1] == first.pk
    assert board.count_today == 2
    assert board.count_week == 3
    assert board.pending_payments == 3
    assert "Migraine" in response.content.decode()
    assert "Yasmine Haddad" in response.content.decode()
    assert f'formaction="/portal/appointments/{first.pk}/complete/"' in response.content.decode()


def test_the_live_partial_has_no_layout(doctor_client, doctor):
    AppointmentFactory(doctor=doctor, start=_today_at(doctor, 23), end=_today_at(doctor, 23) + timedelta(minutes=30))
    html = doctor_client.get(reverse("portal:today-live")).content.decode()
    assert "<html" not in html
    assert 'id="count-today">1<' in html


def test_today_shows_how_many_patients_wait_for_a_slot(doctor_client, doctor):
    WaitlistEntryFactory(doctor=doctor)
    WaitlistEntryFactory(doctor=doctor)
    WaitlistEntryFactory(doctor=doctor, status="cancelled")
    WaitlistEntryFactory()

    html = doctor_client.get(reverse("portal:today-live")).content.decode()

    assert 'id="count-waitlist">2<' in html


def test_today_query_count_is_fixed(doctor_client, doctor, django_assert_max_num_queries):
    for hour in range(8):
        start = _today_at(doctor, hour + 10)
        appointment = AppointmentFactory(doctor=doctor, start=start, end=start + timedelta(minutes=30))
        if hour % 2:
            Payment.objects.create(
                appointment=appointment,
                method="clinic",
                provider="clinic",
                amount=5000,
                currency="EUR",
                status="succeeded",
            )
        AppointmentFactory(doctor=doctor, start=start + timedelta(days=2), end=start + timedelta(days=2, minutes=30))
    WaitlistEntryFactory(doctor=doctor)
    with django_assert_max_num_queries(8):
        response = doctor_client.get(reverse("portal:today"))
    assert len(response.context["board"].today_appointments) == 8


# --- Appointments list ---------------------------------------------------------------------------------


def test_appointments_list_query_count_is_fixed(doctor_client, doctor, django_assert_max_num_queries):
    for day in range(20):
        start = timezone.now() + timedelta(days=day + 1)
        AppointmentFactory(doctor=doctor, start=start, end=start + timedelta(minutes=30))
    with django_assert_max_num_queries(7):
        response = doctor_client.get(reverse("portal:appointments"))
    assert len(response.context["page"].object_list) == 20


def test_appointments_filter_by_status_date_and_patient_name(doctor_client, doctor):
    soon = AppointmentFactory(doctor=doctor, patient__first_name="Amina", patient__last_name="Benali")
    far_start = timezone.now() + timedelta(days=20)
    AppointmentFactory(
        doctor=doctor,
        start=far_start,
        end=far_start + timedelta(minutes=30),
        patient__first_name="Bob",
        patient__last_name="Marley",
    )
    cancelled = AppointmentFactory(doctor=doctor, status="cancelled", patient__first_name="Chloé")

    def listed(**params):
        response = doctor_client.get(reverse("portal:appointments"), params)
        return {a.pk for a in response.context["page"].object_list}

    assert listed(q="benali") == {soon.pk}
    assert listed(status="cancelled") == {cancelled.pk}
    to = (timezone.now() + timedelta(days=10)).date().isoformat()
    assert listed(date_to=to, status="confirmed") == {soon.pk}


def test_a_bad_filter_shows_the_field_error(doctor_client, doctor):
    response = doctor_client.get(reverse("portal:appointments"), {"date_from": "not-a-date"})
    assert response.status_code == 200
    assert response.context["form"].errors["date_from"]


def test_the_detail_page_shows_the_status_history(doctor_client, doctor):
    appointment = AppointmentFactory(doctor=doctor)
    appointment.status_changes.create(from_status="pending_payment", to_status="confirmed", source="api")
    html = doctor_client.get(reverse("portal:appointment-detail", args=[appointment.pk])).content.decode()
    assert "pending_payment → confirmed" in html


# --- Schedule ------------------------------------------------------------------------------------------


def _rules_post(rows, **extra):
    data = {
        "rules-TOTAL_FORMS": str(len(rows)),
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
    }
    for index, (weekday, start, end) in enumerate(rows):
        data.update(
            {f"rules-{index}-weekday": weekday, f"rules-{index}-start_time": start, f"rules-{index}-end_time": end}
        )
    data.update(extra)
    return data


def test_saving_weekly_rules_replaces_them_and_the_preview_shows_slots(doctor_client, doctor):
    AvailabilityRuleFactory(doctor=doctor, weekday=6)
    response = doctor_client.post(
        reverse("portal:schedule"), _rules_post([(0, "09:00", "12:00"), (0, "14:00", "16:00"), (3, "08:00", "09:00")])
    )
    assert response.status_code == 302
    assert sorted(AvailabilityRule.objects.filter(doctor=doctor).values_list("weekday", "start_time")) == [
        (0, time(9)),
        (0, time(14)),
        (3, time(8)),
    ]
    preview = doctor_client.get(reverse("portal:schedule")).context["preview"]
    assert len(preview) == 56
    mondays = [d.slot_count for d in preview[1:] if d.day.weekday() == 0]
    assert mondays and all(count == 10 for count in mondays)
    assert all(d.slot_count == 0 for d in preview if d.day.weekday() == 6)


def test_a_rule_row_can_be_removed(doctor_client, doctor):
    AvailabilityRuleFactory(doctor=doctor, weekday=2)
    data = _rules_post([(2, "09:00", "12:00")], **{"rules-0-DELETE": "on"})
    assert doctor_client.post(reverse("portal:schedule"), data).status_code == 302
    assert not AvailabilityRule.objects.filter(doctor=doctor).exists()


def test_a_malformed_time_shows_a_field_error_and_changes_nothing(doctor_client, doctor):
    AvailabilityRuleFactory(doctor=doctor, weekday=1)
    response = doctor_client.post(reverse("portal:schedule"), _rules_post([(0, "9h", "12:00")]))
    assert response.status_code == 400
    assert response.context["rule_formset"].forms[0].errors["start_time"]
    assert list(AvailabilityRule.objects.filter(doctor=doctor).values_list("weekday", flat=True)) == [1]


def test_overlapping_rules_show_the_services_error_and_change_nothing(doctor_client, doctor):
    AvailabilityRuleFactory(doctor=doctor, weekday=1)
    response = doctor_client.post(
        reverse("portal:schedule"), _rules_post([(0, "09:00", "12:00"), (0, "11:00", "13:00")])
    )
    assert response.status_code == 400
    assert "Two availability rules overlap on the same day." in response.content.decode()
    assert AvailabilityRule.objects.filter(doctor=doctor).count() == 1


def test_adding_time_off_uses_the_doctors_wall_clock_and_flags_the_preview(doctor_client, doctor):
    AvailabilityRuleFactory(doctor=doctor, weekday=0)
    day = local_today(doctor=doctor) + timedelta(days=3)
    response = doctor_client.post(
        reverse("portal:schedule"),
        {"off-start": f"{day.isoformat()}T08:00", "off-end": f"{day.isoformat()}T18:00", "off-reason": "Congress"},
    )
    assert response.status_code == 302
    time_off = TimeOff.objects.get(doctor=doctor)
    assert time_off.start == datetime.combine(day, time(8), tzinfo=doctor_zone(doctor))
    preview = doctor_client.get(reverse("portal:schedule")).context["preview"]
    assert [d.day for d in preview if d.time_off] == [day]


def test_time_off_ending_before_it_starts_shows_the_error_and_adds_nothing(doctor_client, doctor):
    response = doctor_client.post(
        reverse("portal:schedule"), {"off-start": "2030-01-02T10:00", "off-end": "2030-01-02T09:00"}
    )
    assert response.status_code == 400
    assert "Time off must end after it starts." in response.content.decode()
    assert not TimeOff.objects.filter(doctor=doctor).exists()


def test_deleting_time_off(doctor_client, doctor):
    time_off = TimeOffFactory(doctor=doctor)
    assert doctor_client.post(reverse("portal:time-off-delete", args=[time_off.pk])).status_code == 302
    assert not TimeOff.objects.filter(pk=time_off.pk).exists()


def test_the_preview_flags_the_dst_switch_day(doctor, client):
    from portal.selectors import portal_schedule_preview

    # 2030-03-31 is the last Sunday of March: Paris springs forward
    now = datetime(2030, 3, 20, 12, tzinfo=doctor_zone(doctor))
    preview = portal_schedule_preview(doctor=doctor, now=now)
    assert [d.day.isoformat() for d in preview if d.dst_switch] == ["2030-03-31"]


# --- Profile -------------------------------------------------------------------------------------------


def _profile_data(doctor, **changes):
    data = {
        "title": "Dr",
        "bio": "Hello",
        "clinic_name": "C",
        "clinic_address": "A",
        "city": "Lyon",
        "country": "FR",
        "languages": "en, fr",
        "years_experience": "7",
        "timezone": "Europe/Paris",
        "slot_minutes": "20",
        "fee_amount": "6000",
        "fee_currency": "EUR",
        "accepts_payment_methods": ["card", "clinic"],
    }
    data.update(changes)
    return data


def test_the_profile_form_updates_the_profile(doctor_client, doctor):
    response = doctor_client.post(reverse("portal:profile"), _profile_data(doctor))
    assert response.status_code == 302
    doctor.refresh_from_db()
    assert (doctor.city, doctor.slot_minutes, doctor.fee_amount, doctor.years_experience) == ("Lyon", 20, 6000, 7)


def test_an_unknown_time_zone_shows_the_error_next_to_the_field_and_changes_nothing(doctor_client, doctor):
    response = doctor_client.post(reverse("portal:profile"), _profile_data(doctor, timezone="Mars/Olympus"))
    assert response.status_code == 400
    assert response.context["form"].errors["timezone"] == ["Unknown time zone."]
    doctor.refresh_from_db()
    assert doctor.city == "Paris"


def test_a_rejected_doctor_sees_the_staff_reason(doctor_client, doctor):
    doctor.verification_status = "rejected"
    doctor.verification_reason = "Licence number missing"
    doctor.save()
    html = doctor_client.get(reverse("portal:profile")).content.decode()
    assert "Licence number missing" in html


# --- Notifications -------------------------------------------------------------------------------------


def test_notifications_mark_read_and_the_bell_counts_unread(doctor_client, doctor):
    first, second = (
        Notification.objects.create(user=doctor.user, type="system", template_key="x", title=f"N{i}") for i in range(2)
    )
    assert doctor_client.get(reverse("portal:notifications")).context["unread_count"] == 2
    doctor_client.post(reverse("portal:notification-read", args=[first.pk]))
    first.refresh_from_db()
    assert first.is_read
    assert doctor_client.get(reverse("portal:today")).context["unread_count"] == 1
    doctor_client.post(reverse("portal:notifications-read-all"))
    second.refresh_from_db()
    assert second.is_read


def test_blank_extra_rule_rows_are_skipped(doctor_client, doctor):
    # given the rendered form (its two extra rows are left blank)
    data = _rules_post([(4, "10:00", "11:00"), ("", "", "")])
    # when it is saved
    response = doctor_client.post(reverse("portal:schedule"), data)
    # then only the filled row becomes a rule
    assert response.status_code == 302
    assert list(AvailabilityRule.objects.filter(doctor=doctor).values_list("weekday", flat=True)) == [4]
