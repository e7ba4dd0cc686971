"""Admin for the registry (editable by product people) and the audit trail (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from errorregistry.models import ErrorCode, ErrorCodeTranslation, ErrorEvent, SupportConsole, language_choices
from errorregistry.support import SupportViews, can_use_support
from errorregistry.support_queries import STATUS_CLASSES


class TranslationForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("language"), choices=language_choices)

    class Meta:
        model = ErrorCodeTranslation
        fields = ["language", "message", "action"]


class TranslationInline(admin.TabularInline):
    model = ErrorCodeTranslation
    form = TranslationForm
    extra = 1


@admin.register(ErrorCode)
class ErrorCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "http_status", "category", "retryable", "is_active", "languages", "updated_at"]
    list_filter = ["category", "http_status", "retryable", "is_active", "audit_policy"]
    search_fields = ["code", "message", "action"]
    search_help_text = _("Search by code, message or action.")
    inlines = [TranslationInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["code", "http_status", "category", "is_active"]}),
        (_("Client-facing text"), {"fields": ["message", "action", "docs_url"]}),
        (_("Retries"), {"fields": ["retryable", "retry_after"]}),
        (_("Audit"), {"fields": ["audit_policy", "audit_sample_rate"]}),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related(
            Prefetch("translations", queryset=ErrorCodeTranslation.objects.only("error_code_id", "language"))
        )

    def get_readonly_fields(self, request: HttpRequest, obj: ErrorCode | None = None) -> list[str]:
        # A code is a public contract: once saved it cannot be renamed.
        readonly = ["created_at", "updated_at"]
        return ["code", *readonly] if obj is not None else readonly

    @admin.display(description=_("languages"))
    def languages(self, obj: ErrorCode) -> str:
        return ", ".join(t.language for t in obj.translations.all()) or "—"


class BoundedCountPaginator(Paginator):
    """Counts at most ``count_limit`` rows, so a changelist never counts a table of millions.

    Past the limit the admin shows "10000" and that many pages; search or filter to narrow it.
    """

    count_limit = 10_000

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            return self.object_list.order_by()[: self.count_limit].count()
        return super().count


class StatusClassFilter(admin.SimpleListFilter):
    """4xx / 5xx as ranges: a filter on the raw status would run DISTINCT over the table."""

    title = _("status class")
    parameter_name = "status_class"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _q) in STATUS_CLASSES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in STATUS_CLASSES:
            return queryset.filter(STATUS_CLASSES[self.value()][1])
        return queryset


@admin.register(ErrorEvent)
class ErrorEventAdmin(admin.ModelAdmin):
    """The audit trail: read-only, and cheap on a table of millions of rows."""

    list_display = ["created_at", "request_id", "code", "http_status", "method", "path", "user_name"]
    list_filter = [StatusClassFilter, "unknown_code"]
    paginator = BoundedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # facet counts would COUNT the table once per filter choice
    search_fields = ["=request_id", "=client_request_id", "=code"]
    search_help_text = _("Exact request ID, client request ID or code.")
    date_hierarchy = None
    show_full_result_count = False
    list_per_page = 50
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SupportConsole)
class SupportConsoleAdmin(admin.ModelAdmin):
    """The support console's row on the admin index; its pages live in ``errorregistry.support``.

    Every check asks for ``errorregistry.view_errorevent``, not the proxy's own
    permissions: whoever may read the audit trail may use the console.
    """

    def get_urls(self) -> list[URLPattern]:
        # Only the console's pages: the proxy has no add, change, delete or history views.
        return SupportViews(self).get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        views = SupportViews(self)
        return views.guard(views.search_view)(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_use_support(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_use_support(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
