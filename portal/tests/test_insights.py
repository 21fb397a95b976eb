import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from appointments.tests.factories import AppointmentFactory
from doctors.tests.factories import DoctorProfileFactory
from payments.models import Payment
from portal.charts import PLOT_HEIGHT, TOP, Series, bar_chart
from portal.insights import portal_insights

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# A Wednesday; the 12-week window starts on Monday 2026-01-19 at midnight in Paris, and takes in the
# spring-forward night of Sunday 2026-03-29.
NOW = datetime(2026, 4, 8, 12, 0, tzinfo=PARIS)


def _at(doctor, local: datetime, *, patient=None, status="completed", method="clinic"):
    extra = {"patient": patient} if patient else {}
    return AppointmentFactory(
        doctor=doctor, start=local, end=local + timedelta(minutes=30), status=status, payment_method=method, **extra
    )


def _paid(appointment, *, amount=5000, currency="EUR", refunded=0, status="succeeded", paid_at=None):
    return Payment.objects.create(
        appointment=appointment,
        method=appointment.payment_method,
        amount=amount,
        currency=currency,
        provider="stripe" if appointment.payment_method == "card" else "clinic",
        status=status,
        amount_refunded=refunded,
        paid_at=paid_at or appointment.start,
    )


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
    _paid(
        _at(doctor, datetime(2026, 3, 11, 9, tzinfo=PARIS), status="confirmed", method="card"),
        status="pending",
        paid_at=NOW - timedelta(days=1),
    )
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
    assert visits == {
        date(2026, 1, 19): 1,
        date(2026, 2, 2): 1,
        date(2026, 3, 9): 1,
        date(2026, 3, 23): 1,
        date(2026, 3, 30): 1,
        date(2026, 4, 6): 1,
    }
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
    patients = {
        week.start: (week.new_patients, week.returning_patients)
        for week in insights.weeks
        if week.new_patients or week.returning_patients
    }
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
    revenue = {
        (currency.currency, m.method): (m.payments, m.gross, m.refunded, m.net)
        for currency in insights.revenue
        for m in currency.methods
    }
    assert revenue == {
        ("EUR", "card"): (2, 10000, 2000, 8000),
        ("EUR", "clinic"): (1, 4000, 0, 4000),
        ("MAD", "card"): (0, 0, 0, 0),
        ("MAD", "clinic"): (1, 30000, 0, 30000),
    }


def test_another_doctors_data_never_counts(crafted):
    insights = portal_insights(doctor=DoctorProfileFactory(), now=NOW)
    assert (insights.due, insights.new_patients, insights.revenue) == (0, 0, [])


def test_the_page_shows_the_numbers_in_tables_beside_the_charts(doctor_client, doctor):
    start = timezone.now() - timedelta(hours=2)
    _paid(_at(doctor, start, method="card"), amount=6000, refunded=1500, status="partially_refunded")
    _at(doctor, start - timedelta(minutes=30), status="no_show")
    response = doctor_client.get(reverse("portal:insights"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="page">Insights<' in html
    assert html.count('role="img"') == 4
    assert re.search(r'id="no-show-rate">\s*50\.0%', html)
    assert re.search(r"<th scope=\"row\">Card</th><td>1</td><td>60\.00</td><td>15\.00</td><td>45\.00</td>", html)
    assert 'aria-labelledby="visits-chart-title visits-chart-desc"' in html


def test_an_empty_page_renders_without_rates(doctor_client):
    response = doctor_client.get(reverse("portal:insights"))
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["insights"].no_shows.percent is None
    assert re.search(r'id="no-show-rate">\s*—', html)
    assert "No payments received in this period." in html


def test_chart_coordinates_stay_numbers_in_french(doctor_client, doctor):
    doctor.user.locale = "fr"
    doctor.user.save()
    for hours in (3, 30, 60):
        _at(doctor, timezone.now() - timedelta(hours=hours))
    html = doctor_client.get(reverse("portal:insights")).content.decode()
    coordinates = re.findall(r' (?:x|y|width|height)="([^"]*)"', html)
    assert coordinates and all(re.fullmatch(r"\d+(\.\d+)?", value) for value in coordinates)


@pytest.mark.parametrize("count", [5, 40])
def test_the_query_count_does_not_grow_with_the_data(doctor_client, doctor, django_assert_num_queries, count):
    for index in range(count):
        start = timezone.now() - timedelta(days=index * 2, hours=1)
        appointment = _at(
            doctor, start, status=("completed", "no_show", "cancelled")[index % 3], method=("card", "clinic")[index % 2]
        )
        if index % 3 == 0:
            _paid(appointment)
    # session, user, doctor profile, unread notifications, unread messages, the two aggregates
    with django_assert_num_queries(7):
        response = doctor_client.get(reverse("portal:insights"))
    assert response.context["insights"].due == count


def test_the_tallest_column_fills_the_plot_and_stacks_sit_on_each_other():
    chart = bar_chart(labels=["a", "b"], series=[Series("new", "New", [1, 0]), Series("returning", "Old", [1, 4])])
    first, second = chart.columns
    assert [rect.height for rect in second.rects] == [PLOT_HEIGHT]
    assert second.rects[0].y == TOP
    lower, upper = first.rects
    assert (lower.height, upper.height) == (PLOT_HEIGHT / 4, PLOT_HEIGHT / 4)
    assert upper.y + upper.height == lower.y
    assert [column.value_label for column in chart.columns] == ["2", "4"]


def test_an_all_zero_chart_has_no_bars():
    chart = bar_chart(labels=["a", "b"], series=[Series("visits", "Visits", [0, 0])])
    assert all(column.rects == [] for column in chart.columns)
