"""The support console: staff pages inside the Django admin to look a request ID up.

A customer quotes a request ID; support pastes it and sees what the client
received and why. The pages are hosted by ``SupportConsoleAdmin.get_urls()``
and need ``errorregistry.view_errorevent``. Every query is shaped for a table
of millions of rows: exact lookups on indexed columns, time-bounded ranges,
keyset paging, and never a COUNT(*) or DISTINCT over the table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from functools import update_wrapper
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from errorregistry.charts import DEFAULT_WINDOW, WINDOWS, count_errors, render_svg
from errorregistry.audit.flood import floods_at
from errorregistry.models import ErrorEvent, ErrorFlood
from errorregistry.registry import registry
from errorregistry.request_id import PREFIX, minted_at, normalize_lookup
from errorregistry.templating import is_web_url

SUPPORT_PERMISSION = "errorregistry.view_errorevent"
PAGE_SIZE = 50
LOOKUP_LIMIT = 50
AROUND = timedelta(hours=1)
RELATED_LIMIT = 10
RECENT_ON_SEARCH = 10
EMBEDDED_REQUEST_ID = re.compile(r"req_[0-9A-Za-z]{26}")
EPOCH = datetime(1970, 1, 1, tzinfo=dt_timezone.utc)

SINCE_CHOICES: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
SINCE_LABELS = {"1h": _("Last hour"), "24h": _("Last 24 hours"), "7d": _("Last 7 days"), "30d": _("Last 30 days")}

# Status classes as ranges (shared with the event admin's filter): a filter on the raw
# status would make the admin run DISTINCT over the table.
STATUS_CLASSES: dict[str, tuple[str, Q]] = {
    "4xx": (_("4xx client errors"), Q(http_status__gte=400, http_status__lt=500)),
    "5xx": (_("5xx server errors"), Q(http_status__gte=500)),
}

# Fields shown on the event page, in the order support reads them.
EVENT_FIELDS = [
    "request_id",
    "client_request_id",
    "created_at",
    "code",
    "unknown_code",
    "http_status",
    "message",
    "language",
    "method",
    "path",
    "query_string",
    "view_name",
    "user_id",
    "user_name",
    "client_ip",
    "user_agent",
    "exception_class",
]


def can_use_support(user: Any) -> bool:
    """The one permission check behind every support page and the admin index row."""
    return bool(user is not None and user.is_active and user.has_perm(SUPPORT_PERMISSION))


# -- lookup -------------------------------------------------------------------


def lookup_candidates(raw: str) -> list[str]:
    """What a pasted ID may have meant: as typed, with the ULID upper-cased, or found inside a pasted line."""
    value = normalize_lookup(raw)
    if not value:
        return []
    candidates = [value]
    embedded = EMBEDDED_REQUEST_ID.search(value)
    if embedded and embedded.group(0) != value:
        candidates.append(embedded.group(0))
    for candidate in list(candidates):
        if candidate[: len(PREFIX)].lower() == PREFIX:
            canonical = PREFIX + candidate[len(PREFIX) :].upper()
            if canonical not in candidates:
                candidates.append(canonical)
    return candidates


def find_events(raw: str) -> list[ErrorEvent]:
    """Events for a pasted ID: our request ID first, else the client's own correlation ID."""
    candidates = lookup_candidates(raw)
    if not candidates:
        return []
    by_request_id = list(ErrorEvent.objects.filter(request_id__in=candidates)[:LOOKUP_LIMIT])
    if by_request_id:
        return by_request_id
    return list(ErrorEvent.objects.filter(client_request_id__in=candidates)[:LOOKUP_LIMIT])


def floods_counting(raw: str) -> list[ErrorFlood]:
    """For a minted request ID with no event: the floods that were counting repeats at its moment
    (flood control counts repeats instead of storing them, and the ID carries its own time)."""
    for candidate in lookup_candidates(raw):
        moment = minted_at(candidate)
        if moment is not None:
            return list(floods_at(moment)[:LOOKUP_LIMIT])
    return []


def similar_suppressed(event: ErrorEvent) -> int:
    """How many repeats of this event's code from its client flood control counted around it."""
    floods = ErrorFlood.objects.filter(
        code=event.code,
        client_ip=event.client_ip,
        first_at__gte=event.created_at - AROUND,
        first_at__lte=event.created_at + AROUND,
    )
    return floods.aggregate(total=Sum("count"))["total"] or 0


def events_around(event: ErrorEvent, **filters: str) -> list[ErrorEvent]:
    """Other events matching ``filters`` within an hour of ``event`` (a bounded time range)."""
    start, end = event.created_at - AROUND, event.created_at + AROUND
    queryset = ErrorEvent.objects.filter(created_at__gte=start, created_at__lte=end, **filters)
    return list(queryset.exclude(pk=event.pk)[:RELATED_LIMIT])


# -- keyset paging ------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A position in (created_at, id) order, written into page links."""

    created_at: datetime
    pk: int

    @classmethod
    def of(cls, event: ErrorEvent) -> Cursor:
        return cls(event.created_at, event.pk)

    def encode(self) -> str:
        micros = (self.created_at - EPOCH) // timedelta(microseconds=1)
        return f"{micros}_{self.pk}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """A cursor from a link, or None for anything malformed (the first page is shown)."""
        match = re.fullmatch(r"(-?\d{1,19})_(\d{1,19})", text or "")
        if not match:
            return None
        try:
            created_at = EPOCH + timedelta(microseconds=int(match.group(1)))
        except OverflowError:
            return None
        return cls(created_at, int(match.group(2)))

    def before(self) -> Q:
        return Q(created_at__lt=self.created_at) | Q(created_at=self.created_at, pk__lt=self.pk)

    def after(self) -> Q:
        return Q(created_at__gt=self.created_at) | Q(created_at=self.created_at, pk__gt=self.pk)


@dataclass(frozen=True)
class KeysetPage:
    events: list[ErrorEvent]
    older: Cursor | None
    newer: Cursor | None


def keyset_page(
    queryset: QuerySet[ErrorEvent],
    *,
    older: Cursor | None = None,
    newer: Cursor | None = None,
    size: int | None = None,
) -> KeysetPage:
    """One page, newest first, found by index position rather than by OFFSET or a total count."""
    size = size or PAGE_SIZE
    if newer is not None:
        rows = list(queryset.filter(newer.after()).order_by("created_at", "id")[: size + 1])
        if len(rows) > size:
            rows = rows[:size][::-1]
            return KeysetPage(rows, older=Cursor.of(rows[-1]), newer=Cursor.of(rows[0]))
        # Nothing newer than a full page: that is the first page, as it is now.
        return keyset_page(queryset, size=size)
    ordered = queryset.order_by("-created_at", "-id")
    if older is not None:
        ordered = ordered.filter(older.before())
    rows = list(ordered[: size + 1])
    has_older = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows,
        older=Cursor.of(rows[-1]) if has_older else None,
        newer=Cursor.of(rows[0]) if older is not None and rows else None,
    )


# -- forms --------------------------------------------------------------------


class LookupForm(forms.Form):
    q = forms.CharField(
        label=_("Request ID"),
        max_length=500,
        help_text=_("Our request ID (X-Request-Id, req_…) or the client's own correlation ID."),
        widget=forms.TextInput(attrs={"autofocus": True, "size": 48, "autocomplete": "off", "spellcheck": "false"}),
    )


class EventFilterForm(forms.Form):
    code = forms.CharField(label=_("Code"), required=False, max_length=64)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *((key, label) for key, (label, _q) in STATUS_CLASSES.items())],
    )
    since = forms.ChoiceField(
        label=_("Time"),
        required=False,
        choices=[("", _("Any time")), *SINCE_LABELS.items()],
    )
    user = forms.CharField(label=_("User ID"), required=False, max_length=64)

    def filter(self, queryset: QuerySet[ErrorEvent], now: datetime | None = None) -> QuerySet[ErrorEvent]:
        """Apply the cleaned filters: each one is an equality or a range, never a scan-and-count."""
        data = self.cleaned_data
        if data.get("code"):
            queryset = queryset.filter(code=data["code"].strip())
        if data.get("status"):
            queryset = queryset.filter(STATUS_CLASSES[data["status"]][1])
        if data.get("since"):
            queryset = queryset.filter(created_at__gte=(now or timezone.now()) - SINCE_CHOICES[data["since"]])
        if data.get("user"):
            queryset = queryset.filter(user_id=data["user"].strip())
        return queryset


# -- views --------------------------------------------------------------------


class SupportViews:
    """The support pages of one admin site, guarded by ``SUPPORT_PERMISSION``."""

    def __init__(self, model_admin: admin.ModelAdmin) -> None:
        self.model_admin = model_admin
        self.admin_site = model_admin.admin_site

    @property
    def url_names(self) -> dict[str, str]:
        site = self.admin_site.name
        return {
            "search": f"{site}:errorregistry_supportconsole_changelist",
            "events": f"{site}:errorregistry_support_events",
            "event": f"{site}:errorregistry_support_event",
            "chart": f"{site}:errorregistry_support_chart",
        }

    def get_urls(self) -> list[URLPattern]:
        return [
            path("", self.guard(self.search_view), name="errorregistry_supportconsole_changelist"),
            path("events/", self.guard(self.events_view), name="errorregistry_support_events"),
            path("events/<int:pk>/", self.guard(self.event_view), name="errorregistry_support_event"),
            path("chart/", self.guard(self.chart_view), name="errorregistry_support_chart"),
        ]

    def guard(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        """Admin login for non-staff (admin_view), 403 without the permission, read-only methods."""

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not can_use_support(request.user):
                raise PermissionDenied
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["GET", "HEAD"])
            request.current_app = self.admin_site.name
            return view(request, *args, **kwargs)

        return self.admin_site.admin_view(update_wrapper(guarded, view))

    def url(self, name: str, *args: Any, query: str = "") -> str:
        target = reverse(self.url_names[name], args=args, current_app=self.admin_site.name)
        return f"{target}?{query}" if query else target

    def render(self, request: HttpRequest, page_name: str, title: str, **extra: Any) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "support_page": page_name,
            "opts": self.model_admin.model._meta,
            "support_urls": self.url_names,
            **extra,
        }
        return TemplateResponse(request, f"errorregistry/support/{page_name}.html", context)

    # Pages

    def search_view(self, request: HttpRequest) -> HttpResponse:
        form = LookupForm(request.GET if "q" in request.GET else None)
        searched = ""
        matches: list[ErrorEvent] = []
        if form.is_valid():
            searched = normalize_lookup(form.cleaned_data["q"])
            matches = find_events(form.cleaned_data["q"])
            if len(matches) == 1:
                return HttpResponseRedirect(self.url("event", matches[0].pk))
            floods = [] if matches else floods_counting(form.cleaned_data["q"])
        recent = [] if form.is_bound else list(ErrorEvent.objects.all()[:RECENT_ON_SEARCH])
        return self.render(
            request,
            "search",
            _("Look up a request ID"),
            form=form,
            searched=searched,
            matches=matches,
            floods=floods if form.is_valid() else [],
            recent=recent,
        )

    def event_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = get_object_or_404(ErrorEvent, pk=pk)
        entry = registry.get(event.code)
        current_message = current_action = ""
        if entry is not None:
            current_message, current_action, _language = entry.texts(event.language or None)
        later = Cursor(event.created_at + AROUND, 0).encode()
        same_user = events_around(event, user_id=event.user_id) if event.user_id else []
        return self.render(
            request,
            "event",
            _("Error event"),
            event=event,
            fields=[(name, ErrorEvent._meta.get_field(name).verbose_name, getattr(event, name)) for name in EVENT_FIELDS],
            status_phrase=status_phrase(event.http_status),
            details_json=pretty_json(event.details),
            context_json=pretty_json(event.context),
            show_traceback=event.http_status >= 500 and bool(event.traceback),
            entry=entry,
            current_message=current_message,
            current_action=current_action,
            docs_url=entry.docs_url if entry is not None and is_web_url(entry.docs_url) else "",
            same_user=same_user,
            same_code=events_around(event, code=event.code),
            similar_suppressed=similar_suppressed(event),
            same_user_url=self.url("events", query=f"user={q(event.user_id)}&older={later}") if event.user_id else "",
            same_code_url=self.url("events", query=f"code={q(event.code)}&older={later}"),
        )

    def events_view(self, request: HttpRequest) -> HttpResponse:
        form = EventFilterForm(request.GET)
        older = Cursor.decode(request.GET.get("older"))
        newer = Cursor.decode(request.GET.get("newer"))
        page = KeysetPage([], None, None)
        if form.is_valid():
            page = keyset_page(form.filter(ErrorEvent.objects.all()), older=older, newer=newer)
        filters = request.GET.copy()
        for key in ("older", "newer"):
            filters.pop(key, None)
        base = filters.urlencode()

        def link(key: str, cursor: Cursor | None) -> str:
            if cursor is None:
                return ""
            return self.url("events", query="&".join(p for p in (base, f"{key}={cursor.encode()}") if p))

        return self.render(
            request,
            "events",
            _("Recent errors"),
            form=form,
            page=page,
            known_codes=sorted(registry.all()),
            older_url=link("older", page.older),
            newer_url=link("newer", page.newer),
            first_url=self.url("events", query=base) if older or newer else "",
        )

    def chart_view(self, request: HttpRequest) -> HttpResponse:
        window_key = request.GET.get("window", DEFAULT_WINDOW)
        if window_key not in WINDOWS:
            window_key = DEFAULT_WINDOW
        data = count_errors(window_key)
        return self.render(
            request,
            "chart",
            _("Errors over time"),
            data=data,
            svg=render_svg(data),
            windows=[(key, window.label, self.url("chart", query=f"window={key}")) for key, window in WINDOWS.items()],
            window_key=window_key,
            code_links=[
                (series, self.url("events", query=f"code={q(series.code)}&since={window_key}"))
                for series in data.series
                if not series.grouped
            ],
        )


def q(value: str) -> str:
    """A stored value as one query-string parameter value."""
    return quote(value, safe="")


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def pretty_json(value: Any) -> str:
    """Stored JSON for a <pre> block; the template escapes it."""
    if not value:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
