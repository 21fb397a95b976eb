"""Geometry of the portal's server-side SVG bar charts, so that templates only place shapes.

Every chart has the same viewBox; CSS scales it to its container.
"""

from dataclasses import dataclass

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from portal.insights import CurrencyRevenue, Insights

WIDTH = 576
PLOT_HEIGHT = 160
TOP = 20  # room for the value above the tallest bar
BOTTOM = 24  # room for the column labels
MAX_BAR = 64


@dataclass(frozen=True)
class Series:
    key: str  # names the CSS class of its bars
    label: str
    values: list[int]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    key: str


@dataclass(frozen=True)
class Column:
    label: str
    center: float
    value_label: str
    value_y: float
    rects: list[Rect]


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline_y: int
    label_y: int
    columns: list[Column]
    series: list[Series]


def bar_chart(*, labels: list[str], series: list[Series], value_labels: list[str] | None = None) -> BarChart:
    """Bars of `series` stacked in the order given (the first at the bottom), one column per label,
    scaled so that the tallest column fills the plot; an all-zero chart has no bars."""
    totals = [sum(s.values[index] for s in series) for index in range(len(labels))]
    scale = PLOT_HEIGHT / max([*totals, 1])
    slot = WIDTH / len(labels)
    baseline = TOP + PLOT_HEIGHT
    columns = [
        _column(
            label=label,
            left=index * slot,
            slot=slot,
            baseline=baseline,
            scale=scale,
            values=[(s.key, s.values[index]) for s in series],
            value_label=value_labels[index] if value_labels else str(totals[index]),
        )
        for index, label in enumerate(labels)
    ]
    return BarChart(
        width=WIDTH,
        height=baseline + BOTTOM,
        baseline_y=baseline,
        label_y=baseline + BOTTOM - 6,
        columns=columns,
        series=series,
    )


def _column(
    *,
    label: str,
    left: float,
    slot: float,
    baseline: int,
    scale: float,
    values: list[tuple[str, int]],
    value_label: str,
) -> Column:
    width = min(slot * 0.7, MAX_BAR)
    x = left + (slot - width) / 2
    top = float(baseline)
    rects = []
    for key, value in values:
        if value:
            height = value * scale
            top -= height
            rects.append(Rect(x=round(x, 2), y=round(top, 2), width=round(width, 2), height=round(height, 2), key=key))
    return Column(
        label=label, center=round(left + slot / 2, 2), value_label=value_label, value_y=round(top - 5, 2), rects=rects
    )


@dataclass(frozen=True)
class InsightsCharts:
    visits: BarChart
    patients: BarChart
    outcomes: BarChart
    revenue: list[tuple[CurrencyRevenue, BarChart]]


def insights_charts(insights: Insights) -> InsightsCharts:
    """The Insights page's charts: visits per week, new vs returning patients, outcomes of the due
    appointments, and net revenue by method for each currency."""
    weeks = [date_format(week.start, "j M") for week in insights.weeks]
    return InsightsCharts(
        visits=bar_chart(
            labels=weeks, series=[Series("visits", _("Visits"), [week.visits for week in insights.weeks])]
        ),
        patients=bar_chart(
            labels=weeks,
            series=[
                Series("new", _("New patients"), [week.new_patients for week in insights.weeks]),
                Series("returning", _("Returning patients"), [week.returning_patients for week in insights.weeks]),
            ],
        ),
        outcomes=bar_chart(
            labels=[_("Completed"), _("No-show"), _("Cancelled"), _("Not marked yet")],
            series=[
                Series(
                    "outcome",
                    _("Appointments"),
                    [
                        insights.visits.count,
                        insights.no_shows.count,
                        insights.cancellations.count,
                        insights.unmarked.count,
                    ],
                )
            ],
        ),
        revenue=[(currency, _revenue_chart(currency)) for currency in insights.revenue],
    )


def _revenue_chart(currency: CurrencyRevenue) -> BarChart:
    methods = currency.methods
    return bar_chart(
        labels=[str(m.label) for m in methods],
        series=[Series("revenue", _("Net revenue"), [m.net for m in methods])],
        value_labels=[number_format(m.net_decimal, 2) for m in methods],
    )
