"""The support console's forms: the ID lookup, and the filters of the error list (and its CSV export)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from errorregistry.models import ErrorEvent
from errorregistry.registry.store import registry
from errorregistry.support.charts import DEFAULT_WINDOW, WINDOWS
from errorregistry.support.queries import STATUS_CLASSES

SINCE_CHOICES: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
SINCE_LABELS = {"1h": _("Last hour"), "24h": _("Last 24 hours"), "7d": _("Last 7 days"), "30d": _("Last 30 days")}
# Filters on columns without an index: alone, with no time range, they would walk the whole table.
UNINDEXED = ("path", "method", "language", "view")
INDEXED = ("code", "client_id", "user")
DEFAULT_RANGE = "7d"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class LookupForm(forms.Form):
    q = forms.CharField(
        label=_("Request ID"),
        max_length=500,
        help_text=_("Our request ID (X-Request-Id, req_…), the client's own correlation ID, or a trace ID."),
        widget=forms.TextInput(attrs={"autofocus": True, "size": 48, "autocomplete": "off", "spellcheck": "false"}),
    )


def status_choices() -> list[tuple[str, str]]:
    """Any, the two classes, then every status the registry uses (read when the form is built)."""
    statuses = sorted({entry.http_status for entry in registry.all().values()})
    return [
        ("", _("Any status")),
        *((key, label) for key, (label, _q) in STATUS_CLASSES.items()),
        *((str(status), str(status)) for status in statuses),
    ]


def language_choices() -> list[tuple[str, str]]:
    return [("", _("Any language")), *((code, str(name)) for code, name in settings.LANGUAGES)]


def text_input(**attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", **attrs})


class EventFilterForm(forms.Form):
    """Every filter is an equality, a prefix or a range: never a scan-and-count.

    Code, client ID and user use indexes; path, method, language and view are
    checked on the rows the time order walks through, so a time range keeps them quick.
    """

    code = forms.CharField(label=_("Code"), required=False, max_length=64, widget=text_input(list="support-known-codes"))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=status_choices)
    path = forms.CharField(
        label=_("Path starts with"), required=False, max_length=512, widget=text_input(placeholder="/api/…")
    )
    method = forms.ChoiceField(
        label=_("Method"), required=False, choices=[("", _("Any method")), *((m, m) for m in METHODS)]
    )
    language = forms.ChoiceField(label=_("Language"), required=False, choices=language_choices)
    client_id = forms.CharField(label=_("Client ID"), required=False, max_length=128, widget=text_input())
    view = forms.CharField(label=_("View starts with"), required=False, max_length=200, widget=text_input())
    user = forms.CharField(label=_("User ID"), required=False, max_length=64, widget=text_input(size="10"))
    since = forms.ChoiceField(label=_("Time"), required=False, choices=[("", _("Any time")), *SINCE_LABELS.items()])
    start = forms.DateTimeField(
        label=_("From"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    end = forms.DateTimeField(
        label=_("Until"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    # True when the last 7 days were applied because only unindexed filters were given.
    range_defaulted = False

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start >= end:
            raise ValidationError(_("“From” must be before “Until”."), code="empty_range")
        unindexed = any(data.get(name) for name in UNINDEXED)
        narrowed = any(data.get(name) for name in (*INDEXED, "since", "start", "end"))
        if unindexed and not narrowed:
            data["since"] = DEFAULT_RANGE
            self.range_defaulted = True
        return data

    def filter(self, queryset: QuerySet[ErrorEvent], now: datetime | None = None) -> QuerySet[ErrorEvent]:
        """Apply the cleaned filters."""
        data = self.cleaned_data
        if data.get("code"):
            queryset = queryset.filter(code=data["code"].strip())
        status = data.get("status")
        if status in STATUS_CLASSES:
            queryset = queryset.filter(STATUS_CLASSES[status][1])
        elif status:
            queryset = queryset.filter(http_status=int(status))
        if data.get("path"):
            queryset = queryset.filter(path__startswith=data["path"].strip())
        if data.get("method"):
            queryset = queryset.filter(method=data["method"])
        if data.get("language"):
            queryset = queryset.filter(language=data["language"])
        if data.get("client_id"):
            queryset = queryset.filter(client_request_id=data["client_id"].strip())
        if data.get("view"):
            queryset = queryset.filter(view_name__startswith=data["view"].strip())
        if data.get("user"):
            queryset = queryset.filter(user_id=data["user"].strip())
        return self.filter_time(queryset, now)

    def filter_time(self, queryset: QuerySet[ErrorEvent], now: datetime | None = None) -> QuerySet[ErrorEvent]:
        data = self.cleaned_data
        if data.get("since"):
            queryset = queryset.filter(created_at__gte=(now or timezone.now()) - SINCE_CHOICES[data["since"]])
        if data.get("start"):
            queryset = queryset.filter(created_at__gte=data["start"])
        if data.get("end"):
            queryset = queryset.filter(created_at__lt=data["end"])
        return queryset

    def filter_except_time(self, queryset: QuerySet[ErrorEvent]) -> QuerySet[ErrorEvent]:
        """The filters without the time range: the chart brings its own window."""
        saved = {key: self.cleaned_data.pop(key, None) for key in ("since", "start", "end")}
        try:
            return self.filter(queryset)
        finally:
            self.cleaned_data.update(saved)

    def counted_code(self) -> str | None:
        """The code the chart narrows to when the counts table can serve it ("" for every code);
        None when another filter (status, path, user …) needs the events themselves."""
        data = self.cleaned_data
        if any(data.get(name) for name in self.fields if name not in ("code", "since", "start", "end")):
            return None
        return (data.get("code") or "").strip()

    def chart_window(self) -> str:
        """The chart's window that best matches the chosen time filter."""
        since = self.cleaned_data.get("since") if hasattr(self, "cleaned_data") else None
        if since == "1h":
            return "1h"
        if since in ("7d", "30d"):
            return "7d"
        return DEFAULT_WINDOW if DEFAULT_WINDOW in WINDOWS else next(iter(WINDOWS))
