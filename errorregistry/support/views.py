"""The support console's pages: staff views inside the Django admin to find what a client received.

A customer quotes a request ID; support pastes it and sees what the client
received and why, or browses the one list of errors with filters, a chart,
the codes that are new or rising, and a CSV export. The pages are hosted by
``SupportConsoleAdmin.get_urls()`` and need ``errorregistry.view_errorevent``.
Queries live in ``support_queries``, forms in ``support_forms``, the export
in ``support_export`` and the rebuilt response in ``support_replay``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import update_wrapper
from typing import Any
from urllib.parse import quote

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from errorregistry.conf import registry_settings
from errorregistry.envelope.formatters import status_phrase
from errorregistry.envelope.text import is_web_url
from errorregistry.models import ErrorCode, ErrorEvent
from errorregistry.registry.store import registry
from errorregistry.request_id import normalize_lookup
from errorregistry.support.charts import WINDOWS, count_errors, render_svg
from errorregistry.support.export import EVENT_FIELDS, EXPORT_LIMIT, export_response
from errorregistry.support.forms import EventFilterForm, LookupForm
from errorregistry.support.queries import (
    AROUND,
    CLIENT_ID,
    Cursor,
    KeysetPage,
    Match,
    events_around,
    find_events,
    floods_counting,
    keyset_page,
    similar_suppressed,
    top_codes,
)
from errorregistry.support.replay import replay

SUPPORT_PERMISSION = "errorregistry.view_errorevent"
EDIT_CODE_PERMISSION = "errorregistry.change_errorcode"
TRACEBACK_PERMISSION = "errorregistry.view_traceback"
RECENT_ON_SEARCH = 10

# Fields shown on the event page, in the order support reads them.


def can_use_support(user: Any) -> bool:
    """The one permission check behind every support page and the admin index row."""
    return bool(user is not None and user.is_active and user.has_perm(SUPPORT_PERMISSION))


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
            "export": f"{site}:errorregistry_support_export",
            "event": f"{site}:errorregistry_support_event",
            "chart": f"{site}:errorregistry_support_chart",
        }

    def get_urls(self) -> list[URLPattern]:
        return [
            path("", self.guard(self.search_view), name="errorregistry_supportconsole_changelist"),
            path("events/", self.guard(self.events_view), name="errorregistry_support_events"),
            path("events/export.csv", self.guard(self.export_view), name="errorregistry_support_export"),
            path("events/<int:pk>/", self.guard(self.event_view), name="errorregistry_support_event"),
            # The chart used to have its own page; it now sits above the list. Old links still work.
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
            # With the log sink alone, no new event reaches these pages: say so on each of them.
            "database_sink_off": "database" not in registry_settings.AUDIT_SINKS,
            **extra,
        }
        return TemplateResponse(request, f"errorregistry/support/{page_name}.html", context)

    # Pages

    def search_view(self, request: HttpRequest) -> HttpResponse:
        form = LookupForm(request.GET if "q" in request.GET else None)
        searched = ""
        matches: list[Match] = []
        if form.is_valid():
            searched = normalize_lookup(form.cleaned_data["q"])
            matches = find_events(form.cleaned_data["q"])
            # Only an ID we minted opens the event directly: a client-supplied one may be planted.
            if len(matches) == 1 and matches[0].is_minted:
                return HttpResponseRedirect(self.url("event", matches[0].event.pk))
            floods = [] if matches else floods_counting(form.cleaned_data["q"])
        recent = [] if form.is_bound else list(ErrorEvent.objects.all()[:RECENT_ON_SEARCH])
        return self.render(
            request,
            "search",
            _("Look up a request ID"),
            form=form,
            searched=searched,
            matches=matches,
            client_supplied=bool(matches) and matches[0].matched_on == CLIENT_ID,
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
            similar_suppressed=similar_suppressed(event),
            details_json=pretty_json(event.details),
            context_json=pretty_json(event.context),
            show_traceback=event.http_status >= 500
            and bool(event.traceback)
            and request.user.has_perm(TRACEBACK_PERMISSION),
            response=replay(event, entry),
            entry=entry,
            edit_code_url=self.edit_code_url(request, event.code),
            current_message=current_message,
            current_action=current_action,
            docs_url=entry.docs_url if entry is not None and is_web_url(entry.docs_url) else "",
            trace_url=trace_url(event),
            same_user=same_user,
            same_code=events_around(event, code=event.code),
            same_user_url=self.url("events", query=f"user={q(event.user_id)}&older={later}") if event.user_id else "",
            same_code_url=self.url("events", query=f"code={q(event.code)}&older={later}"),
        )

    def edit_code_url(self, request: HttpRequest, code: str) -> str:
        """The registry row's change page, for those who may edit codes; "" otherwise."""
        if not request.user.has_perm(EDIT_CODE_PERMISSION):
            return ""
        pk = ErrorCode.objects.filter(code=code).values_list("pk", flat=True).first()
        if pk is None:
            return ""
        return reverse(f"{self.admin_site.name}:errorregistry_errorcode_change", args=[pk])

    def events_view(self, request: HttpRequest) -> HttpResponse:
        form = EventFilterForm(request.GET)
        older = Cursor.decode(request.GET.get("older"))
        newer = Cursor.decode(request.GET.get("newer"))
        page = KeysetPage([], None, None)
        chart = trends = None
        window_key = request.GET.get("window", "")
        if form.is_valid():
            events = ErrorEvent.objects.all()
            page = keyset_page(form.filter(events), older=older, newer=newer)
            if window_key not in WINDOWS:
                window_key = form.chart_window()
            # Unfiltered or narrowed to one code: the counts table. Other filters: the events.
            code = form.counted_code()
            narrowed = form.filter_except_time(events) if code is None else None
            chart = count_errors(window_key, queryset=narrowed, code=code or "")
            trends = top_codes(narrowed, chart)
        filters = request.GET.copy()
        for key in ("older", "newer"):
            filters.pop(key, None)
        base = filters.urlencode()
        without_window = filters.copy()
        without_window.pop("window", None)

        def link(key: str, cursor: Cursor | None) -> str:
            if cursor is None:
                return ""
            return self.url("events", query="&".join(p for p in (base, f"{key}={cursor.encode()}") if p))

        def code_link(code: str) -> str:
            narrowed_to_code = without_window.copy()
            narrowed_to_code["code"] = code
            return self.url("events", query=narrowed_to_code.urlencode())

        return self.render(
            request,
            "events",
            _("Errors"),
            form=form,
            page=page,
            known_codes=sorted(registry.all()),
            older_url=link("older", page.older),
            newer_url=link("newer", page.newer),
            first_url=self.url("events", query=base) if older or newer else "",
            export_url=self.url("export", query=without_window.urlencode()),
            export_limit=EXPORT_LIMIT,
            chart=chart,
            svg=render_svg(chart) if chart is not None else "",
            window_key=window_key,
            windows=[
                (key, window.label, self.url("events", query="&".join(p for p in (without_window.urlencode(), f"window={key}") if p)))
                for key, window in WINDOWS.items()
            ],
            trends=[(trend, code_link(trend.code)) for trend in trends or []],
        )

    def export_view(self, request: HttpRequest) -> HttpResponse:
        form = EventFilterForm(request.GET)
        if not form.is_valid():
            response = self.render(
                request, "events", _("Errors"), form=form, page=KeysetPage([], None, None), known_codes=sorted(registry.all())
            )
            response.status_code = 400
            return response
        return export_response(form.filter(ErrorEvent.objects.all()))

    def chart_view(self, request: HttpRequest) -> HttpResponse:
        window = request.GET.get("window", "")
        return HttpResponseRedirect(self.url("events", query=f"window={q(window)}" if window in WINDOWS else ""))


def trace_url(event: ErrorEvent) -> str:
    """``TRACE_URL`` filled with the event's trace, if it is an http(s) link; "" otherwise."""
    template = registry_settings.TRACE_URL
    if not template or not event.trace_id:
        return ""
    url = template.replace("{trace_id}", q(event.trace_id)).replace("{span_id}", q(event.span_id))
    return url if is_web_url(url) else ""


def q(value: str) -> str:
    """A stored value as one query-string parameter value."""
    return quote(value, safe="")


def pretty_json(value: Any) -> str:
    """Stored JSON for a <pre> block; the template escapes it."""
    if not value:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
