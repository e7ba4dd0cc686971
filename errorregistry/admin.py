"""Admin for the registry (editable by product people) and the support console (read-only)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, router, transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from errorregistry.conf import registry_settings
from errorregistry.models import ErrorCode, ErrorCodeTranslation, ErrorEvent, SupportConsole
from errorregistry.registry.coverage import coverage_of, gaps, translated_languages
from errorregistry.registry.forms import ErrorCodeForm, TranslationForm
from errorregistry.registry.history import change_message
from errorregistry.registry.preview import entry_placeholders, placeholder_warnings, preview
from errorregistry.registry.store import Entry, registry
from errorregistry.support.views import SupportViews, can_use_support


class TranslationInline(admin.TabularInline):
    model = ErrorCodeTranslation
    form = TranslationForm
    extra = 1
    classes = ["errorregistry-translations"]


def entry_of(row: ErrorCode) -> Entry:
    """A saved row as the registry would load it (its translations must be fetched or prefetched)."""
    return Entry.from_row(row, {t.language.lower(): (t.message, t.action) for t in row.translations.all()})


def entry_from_post(data: Any) -> Entry:
    """The code as typed in the change form, valid or not, for the live preview."""

    def number(name: str, default: int | None) -> int | None:
        try:
            return int(data.get(name, ""))
        except (TypeError, ValueError):
            return default

    translations = {}
    total = number("translations-TOTAL_FORMS", 0) or 0
    for index in range(min(total, 100)):
        prefix = f"translations-{index}-"
        language = (data.get(prefix + "language") or "").lower()
        if language and not data.get(prefix + "DELETE"):
            translations[language] = (data.get(prefix + "message", ""), data.get(prefix + "action", ""))
    return Entry(
        code=data.get("code") or data.get("original_code") or "",
        http_status=number("http_status", 400) or 400,
        category=data.get("category", ""),
        message=data.get("message", ""),
        action=data.get("action", ""),
        retryable=bool(data.get("retryable")),
        retry_after=number("retry_after", None),
        docs_url=data.get("docs_url", ""),
        translations=translations,
    )


def render_preview(entry: Entry) -> SafeString:
    return render_to_string(
        "errorregistry/admin/code_preview.html",
        {
            "previews": preview(entry),
            "placeholders": entry_placeholders(entry),
            "warnings": placeholder_warnings(entry),
        },
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nothing to add, change or delete: the audit trail and the console are read-only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ErrorCode)
class ErrorCodeAdmin(admin.ModelAdmin):
    form = ErrorCodeForm
    list_display = ["code", "http_status", "category", "short_message", "retryable", "is_active", "coverage", "updated_at"]
    list_filter = ["category", "http_status", "retryable", "is_active", "audit_policy"]
    search_fields = ["code", "message", "action"]
    search_help_text = _("Search by code, message or action.")
    inlines = [TranslationInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_list_template = "errorregistry/admin/errorcode_change_list.html"
    fieldsets = [
        (None, {"fields": ["code", "http_status", "category", "is_active", "confirm_contract_change"]}),
        (_("Client-facing text"), {"fields": ["message", "action", "docs_url"]}),
        (_("Retries"), {"fields": ["retryable", "retry_after"]}),
        (_("What clients receive"), {"fields": ["client_preview"], "classes": ["errorregistry-preview-set"]}),
        (_("Audit"), {"fields": ["audit_policy", "audit_sample_rate"]}),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]

    class Media:
        js = ["errorregistry/code_preview.js"]
        css = {"all": ["errorregistry/code_admin.css"]}

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        self.warn_if_unpublished(request)

    def delete_model(self, request: HttpRequest, obj: ErrorCode) -> None:
        super().delete_model(request, obj)
        self.warn_if_unpublished(request)

    def warn_if_unpublished(self, request: HttpRequest) -> None:
        """Once the edit is committed and published: tell the user if the shared cache was down,
        so they know other workers show the change only after ``MAX_STALENESS``."""

        def warn() -> None:
            if registry.last_publish_failed():
                self.message_user(
                    request,
                    gettext(
                        "Saved, but the shared cache could not be reached: other workers will show this "
                        "change within %(seconds)s seconds instead of at once."
                    )
                    % {"seconds": int(registry_settings.MAX_STALENESS)},
                    messages.WARNING,
                )

        transaction.on_commit(warn, using=router.db_for_write(ErrorCode))

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related(
            Prefetch("translations", queryset=ErrorCodeTranslation.objects.only("error_code_id", "language", "message", "action"))
        )

    def get_readonly_fields(self, request: HttpRequest, obj: ErrorCode | None = None) -> list[str]:
        # A code is a public contract: once saved it cannot be renamed.
        readonly = ["client_preview", "created_at", "updated_at"]
        return ["code", *readonly] if obj is not None else readonly

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path("preview/", self.admin_site.admin_view(self.preview_view), name="%s_%s_preview" % info),
            path("coverage/", self.admin_site.admin_view(self.coverage_view), name="%s_%s_coverage" % info),
            *super().get_urls(),
        ]

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add: bool = False) -> Any:
        if add:
            return super().construct_change_message(request, form, formsets, add)
        return change_message(form, formsets, ignore=["confirm_contract_change"])

    # Columns and read-only fields

    @admin.display(description=_("message"))
    def short_message(self, obj: ErrorCode) -> str:
        return Truncator(obj.message).chars(70)

    @admin.display(description=_("translations"))
    def coverage(self, obj: ErrorCode) -> SafeString | str:
        entry = entry_of(obj)
        badges = []
        for language, _name in translated_languages():
            result = coverage_of(entry, language)
            if result.complete:
                badges.append(("errorregistry-badge ok", language, "✓", _("translated")))
            else:
                missing = ", ".join(str(_(m)) for m in result.missing)
                badges.append(("errorregistry-badge missing", language, "✗", _("missing: %s") % missing))
        if not badges:
            return "—"
        return format_html_join(" ", '<span class="{}" title="{}">{} {}</span>', ((c, t, l, m) for c, l, m, t in badges))

    @admin.display(description=_("preview"))
    def client_preview(self, obj: ErrorCode | None) -> SafeString:
        content = render_preview(entry_of(obj)) if obj is not None and obj.pk else format_html(
            '<p class="help">{}</p>', _("Type a message to see what clients will receive.")
        )
        return format_html(
            '<div id="errorregistry-preview" data-url="{}" data-code="{}" aria-live="polite">{}</div>',
            reverse(f"{self.admin_site.name}:errorregistry_errorcode_preview"),
            obj.code if obj is not None else "",
            content,
        )

    # Views

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The preview for the form as typed (POST, CSRF-checked): HTML for the code page's panel."""
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return HttpResponse(render_preview(entry_from_post(request.POST)))

    def coverage_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        entries = registry.all()
        pks = dict(ErrorCode.objects.filter(code__in=list(entries)).values_list("code", "pk"))
        can_change = self.has_change_permission(request)
        languages = []
        for (language, name), (_code, missing) in zip(translated_languages(), gaps(entries).items()):
            rows = [
                (
                    item,
                    entries[item.code].message,
                    reverse(f"{self.admin_site.name}:errorregistry_errorcode_change", args=[pks[item.code]])
                    if can_change and item.code in pks else "",
                )
                for item in missing
            ]
            languages.append({"code": language, "name": name, "rows": rows})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Translation coverage"),
            "opts": self.opts,
            "languages": languages,
            "total_codes": len(entries),
        }
        return TemplateResponse(request, "errorregistry/admin/coverage.html", context)


@admin.register(ErrorEvent)
class ErrorEventAdmin(ReadOnlyAdmin):
    """Kept registered so that existing admin links to events still resolve, but hidden from the index:
    the support console's list is the one list of errors. Its pages redirect there."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_use_support(request.user)


    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        # The old admin search (?q=) was an ID lookup: the console's search page does that.
        if request.GET.get("q"):
            target = reverse(f"{self.admin_site.name}:errorregistry_supportconsole_changelist")
            return HttpResponseRedirect(f"{target}?{urlencode({'q': request.GET['q']})}")
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:errorregistry_support_events"))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not str(object_id).isdigit():
            raise Http404
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:errorregistry_support_event", args=[int(object_id)]))


@admin.register(SupportConsole)
class SupportConsoleAdmin(ReadOnlyAdmin):
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

