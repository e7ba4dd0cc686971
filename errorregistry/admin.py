"""Admin for the registry (editable by product people) and the audit trail (read-only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from errorregistry.models import ErrorCode, ErrorCodeTranslation, ErrorEvent, language_choices


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


@admin.register(ErrorEvent)
class ErrorEventAdmin(admin.ModelAdmin):
    """The audit trail: read-only, and cheap on a table of millions of rows."""

    list_display = ["created_at", "request_id", "code", "http_status", "method", "path", "user_name"]
    list_filter = ["http_status", "unknown_code"]
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
