"""Error counts over time per code, drawn server-side as inline SVG.

The support pages need a picture of "what is failing, and since when" without
a JavaScript build or an external asset: one GROUP BY over a bounded time
range, and an SVG string built here with every stored value escaped.

The hourly and daily charts read the per-code, per-hour counts table (``ErrorCount``),
whose size does not grow with the events; the by-minute chart of the last hour, and
any chart narrowed by a filter the counts do not carry (path, status, user …), count
the events themselves over the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from errorregistry.models import ErrorCount, ErrorEvent

UTC = dt_timezone.utc


@dataclass(frozen=True)
class Window:
    key: str
    label: str
    unit: str  # a Trunc kind: "hour" or "day"
    step: timedelta
    buckets: int


WINDOWS: dict[str, Window] = {
    "1h": Window("1h", gettext_lazy("Last hour, by minute"), "minute", timedelta(minutes=1), 60),
    "24h": Window("24h", gettext_lazy("Last 24 hours, by hour"), "hour", timedelta(hours=1), 24),
    "7d": Window("7d", gettext_lazy("Last 7 days, by day"), "day", timedelta(days=1), 7),
}
DEFAULT_WINDOW = "24h"
TOP_CODES = 6
# Colour-blind-friendly palette (Okabe–Ito), then grey for "other codes".
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"]
OTHER_COLOUR = "#999999"


@dataclass(frozen=True)
class Series:
    code: str
    counts: tuple[int, ...]
    colour: str
    grouped: bool = False  # the sum of every code below the top ones

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class ChartData:
    window: Window
    buckets: tuple[datetime, ...]
    series: tuple[Series, ...]
    # Every code's total over the window, including the codes grouped under "other codes".
    code_totals: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(s.total for s in self.series)

    def bucket_totals(self) -> list[int]:
        return [sum(s.counts[i] for s in self.series) for i in range(len(self.buckets))]


def bucket_starts(window: Window, now: datetime | None = None) -> tuple[datetime, ...]:
    """The start of each bucket, oldest first; the last one holds ``now``."""
    now = (now or timezone.now()).astimezone(UTC)
    if window.unit == "minute":
        last = now.replace(second=0, microsecond=0)
    elif window.unit == "hour":
        last = now.replace(minute=0, second=0, microsecond=0)
    else:
        last = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return tuple(last - window.step * i for i in reversed(range(window.buckets)))


def count_errors(
    window_key: str = DEFAULT_WINDOW,
    *,
    queryset: QuerySet[ErrorEvent] | None = None,
    code: str = "",
    now: datetime | None = None,
    top: int = TOP_CODES,
) -> ChartData:
    """Counts per (bucket, code) over the window only; the top codes keep their own series.

    ``queryset`` narrows the events counted (the support list's filters); the window bounds it in time.
    Without one, the counts table serves hourly and daily windows (``code`` narrows it to one code).
    """
    window = WINDOWS.get(window_key, WINDOWS[DEFAULT_WINDOW])
    buckets = bucket_starts(window, now)
    index = {start: i for i, start in enumerate(buckets)}
    rows = counted(window, queryset, code, start=buckets[0])
    per_code: dict[str, list[int]] = {}
    for row in rows:
        position = index.get(row["bucket"].astimezone(UTC))
        if position is None:
            continue
        per_code.setdefault(row["code"], [0] * len(buckets))[position] += row["n"]

    ranked = sorted(per_code.items(), key=lambda item: (-sum(item[1]), item[0]))
    series = [Series(code, tuple(counts), PALETTE[i % len(PALETTE)]) for i, (code, counts) in enumerate(ranked[:top])]
    if len(ranked) > top:
        rest = [sum(counts[i] for _code, counts in ranked[top:]) for i in range(len(buckets))]
        series.append(Series(_("other codes"), tuple(rest), OTHER_COLOUR, grouped=True))
    totals = {code: sum(counts) for code, counts in ranked}
    return ChartData(window=window, buckets=buckets, series=tuple(series), code_totals=totals)


def reads_counts(window: Window, queryset: QuerySet[ErrorEvent] | None) -> bool:
    """The counts table holds whole UTC hours of every event: it serves windows of hours or days, unfiltered."""
    return queryset is None and window.unit != "minute"


def counted(window: Window, queryset: QuerySet[ErrorEvent] | None, code: str, *,
            start: datetime, end: datetime | None = None) -> QuerySet:
    """Rows of (bucket, code, n) from ``start`` to ``end``: from the counts table when it can serve
    the question, else one GROUP BY over the events of that range."""
    if reads_counts(window, queryset):
        counts = ErrorCount.objects.filter(hour__gte=start)
        if end is not None:
            counts = counts.filter(hour__lt=end)
        if code:
            counts = counts.filter(code=code)
        return (
            counts.annotate(bucket=Trunc("hour", window.unit, tzinfo=UTC))
            .order_by()
            .values("bucket", "code")
            .annotate(n=Sum("count"))
        )
    events = ErrorEvent.objects.all() if queryset is None else queryset
    events = events.filter(created_at__gte=start)
    if end is not None:
        events = events.filter(created_at__lt=end)
    if code and queryset is None:
        events = events.filter(code=code)
    return (
        events.annotate(bucket=Trunc("created_at", window.unit, tzinfo=UTC))
        .order_by()  # no model ordering: it would join the GROUP BY
        .values("bucket", "code")
        .annotate(n=Count("id"))
    )


def nice_ceiling(value: int) -> int:
    """A round axis maximum at or above ``value`` (1, 2, 5, 10, 20, 50, ...)."""
    ceiling = 1
    while True:
        for factor in (1, 2, 5):
            if ceiling * factor >= value:
                return ceiling * factor
        ceiling *= 10


def bucket_label(window: Window, start: datetime) -> str:
    """Buckets are UTC hours or days, labelled in UTC so a label never straddles two buckets."""
    return start.strftime("%H:%M") if window.unit in ("hour", "minute") else start.strftime("%a %d")


def render_svg(data: ChartData, *, width: int = 760, height: int = 280) -> SafeString:
    """Stacked bars per bucket, one colour per code, a legend, and a <title> tooltip per segment."""
    left, right, top, bottom = 44, 12, 12, 28
    legend_height = 20 * ((len(data.series) + 2) // 3) + 8
    plot_w = width - left - right
    plot_h = height - top - bottom
    full_height = height + legend_height
    title = _("Errors per code: %(window)s") % {"window": data.window.label}
    parts: list[str] = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="errorregistry-chart" width="{}" height="{}" '
            'viewBox="0 0 {} {}" role="img" aria-labelledby="errorregistry-chart-title">'
            '<title id="errorregistry-chart-title">{}</title>',
            width,
            full_height,
            width,
            full_height,
            title,
        )
    ]
    if data.total == 0:
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" fill="currentColor">{}</text></svg>',
                width // 2,
                height // 2,
                _("No errors were recorded in this period."),
            )
        )
        return mark_safe("".join(parts))

    maximum = nice_ceiling(max(data.bucket_totals()))
    # Grid lines and y-axis labels at 0, 1/2 and the maximum.
    for fraction in (0, 0.5, 1):
        y = top + plot_h - plot_h * fraction
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ccc" stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="currentColor">{}</text>',
                left,
                width - right,
                f"{y:.1f}",
                f"{y:.1f}",
                left - 6,
                f"{y + 4:.1f}",
                f"{maximum * fraction:g}",
            )
        )
    slot = plot_w / len(data.buckets)
    bar_w = max(slot * 0.7, 1)
    label_every = {"minute": 10, "hour": 3}.get(data.window.unit, 1)
    for i, start in enumerate(data.buckets):
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h
        when = bucket_label(data.window, start)
        for series in data.series:
            count = series.counts[i]
            if not count:
                continue
            h = plot_h * count / maximum
            y -= h
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-code="{}">'
                    "<title>{} · {} · {}</title></rect>",
                    f"{x:.1f}",
                    f"{y:.1f}",
                    f"{bar_w:.1f}",
                    f"{h:.1f}",
                    series.colour,
                    series.code,
                    when,
                    series.code,
                    count,
                )
            )
        if i % label_every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="currentColor">{}</text>',
                    f"{x + bar_w / 2:.1f}",
                    top + plot_h + 16,
                    when,
                )
            )
    column_w = (width - left) / 3
    for i, series in enumerate(data.series):
        x = left + column_w * (i % 3)
        y = height + 20 * (i // 3)
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12" fill="currentColor">{} ({})</text>',
                f"{x:.1f}",
                y,
                series.colour,
                f"{x + 18:.1f}",
                y + 11,
                series.code,
                series.total,
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every stored value above went through format_html

