from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.tests.factories import PatientFactory
from appointments.tests.factories import AppointmentFactory
from doctors.tests.factories import DoctorProfileFactory
from payments.models import Payment
from portal.insights import portal_insights

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# A Wednesday; the 12-week window starts on Monday 2026-01-19 at midnight in Paris, and takes in the
# spring-forward night of Sunday 2026-03-29.
NOW = datetime(2026, 4, 8, 12, 0, tzinfo=PARIS)


def _at(doctor, local: datetime, *, patient=None, status="completed", method="clinic"):
    extra = {"patient": patient} if patient else {}
    return AppointmentFactory(doctor=doctor, start=local, end=local + timedelta(minutes=30), status=status,
                              payment_method=method, **extra)


def _paid(appointment, *, amount=5000, currency="EUR", refunded=0, status="succeeded", paid_at=None):
    return Payment.objects.create(
        appointment=appointment, method=appointment.payment_method, amount=amount, currency=currency,
        provider="stripe" if appointment.payment_method == "card" else "clinic", status=status,
        amount_refunded=refunded, paid_at=paid_at or appointment.start)


@pytest.fixture
def crafted(doctor):
    """Visits, no-shows, cancellations and payments of `doctor`, plus noise that must not count."""
    returning, new, sunday_night, outsider = PatientFactory(), PatientFactory(), PatientFactory(), PatientFactory()
    _at(doctor, datetime(2025, 12, 1, 10, tzinfo=PARIS), patient=returning)  # before the window
    february = _at(doctor, datetime(2026, 2, 2, 10, tzinfo=PARIS), patient=returning, method="card")
    _at(doctor, datetime(2026, 2, 10, 9, tzinfo=PARIS), status="no_show")
    _at(doctor, datetime(2026, 2, 18, 9, tzinfo=PARIS), status="cancelled")
    # 23:30 on Sunday in Paris is still the week of Monday 23 March (21:30 UTC)...
    sunday = _at(doctor, datetime(2026, 3, 29, 23, 30, tzinfo=PARIS), patient=sunday_night)
    # ...and 00:30 on Monday the next week, although it is still Sunday in UTC.
    monday = _at(doctor, datetime(2026, 3, 30, 0, 30, tzinfo=PARIS), patient=new, method="card")
    _at(doctor, datetime(2026, 4, 7, 9, tzinfo=PARIS), patient=new)
    _at(doctor, datetime(2026, 4, 6, 9, tzinfo=PARIS), status="confirmed")  # due, not marked yet
    _at(doctor, datetime(2026, 4, 9, 9, tzinfo=PARIS), status="confirmed")  # not due yet
    _at(doctor, datetime(2026, 3, 3, 9, tzinfo=PARIS), status="expired")  # a hold that lapsed
    # 00:30 on the window's first Monday in Paris, still Sunday in UTC
    _at(doctor, datetime(2026, 1, 19, 0, 30, tzinfo=PARIS), patient=outsider)
    _paid(february, amount=5000)
    _paid(monday, amount=5000, refunded=2000, status="partially_refunded")
    _paid(sunday, amount=4000)
    _paid(_at(doctor, datetime(2026, 3, 10, 9, tzinfo=PARIS)), amount=30000, currency="MAD")
    _paid(_at(doctor, datetime(2026, 3, 11, 9, tzinfo=PARIS), status="confirmed", method="card"), status="pending",
          paid_at=NOW - timedelta(days=1))
    _paid(_at(doctor, datetime(2026, 3, 12, 9, tzinfo=PARIS), status="expired", method="card"), status="failed")
    _paid(_at(doctor, datetime(2025, 12, 2, 9, tzinfo=PARIS), method="card"), amount=9900)  # paid before
    other = DoctorProfileFactory()
    _paid(_at(other, datetime(2026, 3, 31, 9, tzinfo=PARIS), patient=new, method="card"), amount=7000)
    _at(other, datetime(2026, 2, 11, 9, tzinfo=PARIS), status="no_show")
    _at(other, datetime(2026, 1, 5, 9, tzinfo=PARIS), patient=sunday_night)  # his first visit, elsewhere


def test_weeks_are_the_last_twelve_mondays_in_the_doctors_zone(doctor):
    insights = portal_insights(doctor=doctor, now=NOW)
    assert [week.start for week in insights.weeks] == [date(2026, 1, 19) + timedelta(weeks=n) for n in range(12)]
    assert (insights.first_day, insights.last_day) == (date(2026, 1, 19), date(2026, 4, 8))


def test_visits_per_week_count_completed_appointments_by_local_week(doctor, crafted):
    insights = portal_insights(doctor=doctor, now=NOW)
    visits = {week.start: week.visits for week in insights.weeks if week.visits}
    assert visits == {date(2026, 1, 19): 1, date(2026, 2, 2): 1, date(2026, 3, 9): 1, date(2026, 3, 23): 1,
                      date(2026, 3, 30): 1, date(2026, 4, 6): 1}
    assert insights.visits.count == 6


def test_rates_are_shares_of_the_appointments_that_were_due(doctor, crafted):
    insights = portal_insights(doctor=doctor, now=NOW)
    # 6 completed + 1 no-show + 1 cancelled + 2 confirmed past their time (lapsed holds never count)
    assert insights.due == 10
    assert (insights.no_shows.count, insights.cancellations.count, insights.unmarked.count) == (1, 1, 2)
    assert insights.no_shows.percent == pytest.approx(10.0)
    assert insights.cancellations.percent == pytest.approx(10.0)


def test_a_patient_is_new_in_the_week_of_their_first_visit_with_this_doctor(doctor, crafted):
    insights = portal_insights(doctor=doctor, now=NOW)
    patients = {week.start: (week.new_patients, week.returning_patients)
                for week in insights.weeks if week.new_patients or week.returning_patients}
    assert patients == {
        date(2026, 1, 19): (1, 0),
        date(2026, 2, 2): (0, 1),  # first seen in December
        date(2026, 3, 9): (1, 0),
        date(2026, 3, 23): (1, 0),  # his earlier visit was with another doctor
        date(2026, 3, 30): (1, 0),
        date(2026, 4, 6): (0, 1),
    }
    assert insights.new_patients == 4


def test_revenue_is_net_of_refunds_per_currency_and_method(doctor, crafted):
    insights = portal_insights(doctor=doctor, now=NOW)
    revenue = {(currency.currency, m.method): (m.payments, m.gross, m.refunded, m.net)
               for currency in insights.revenue for m in currency.methods}
    assert revenue == {
        ("EUR", "card"): (2, 10000, 2000, 8000),
        ("EUR", "clinic"): (1, 4000, 0, 4000),
        ("MAD", "card"): (0, 0, 0, 0),
        ("MAD", "clinic"): (1, 30000, 0, 30000),
    }


def test_another_doctors_data_never_counts(crafted):
    insights = portal_insights(doctor=DoctorProfileFactory(), now=NOW)
    assert (insights.due, insights.new_patients, insights.revenue) == (0, 0, [])
