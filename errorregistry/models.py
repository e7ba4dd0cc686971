"""The registry of error codes, their translations, and the audit trail of emitted errors."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

CODE_PATTERN = r"^[A-Za-z0-9_.\-]+$"

code_validator = RegexValidator(
    CODE_PATTERN,
    _("Use only letters, digits, '_', '.' and '-'."),
    code="invalid_code",
)


class Category(models.TextChoices):
    AUTH = "auth", _("Authentication")
    PERMISSION = "permission", _("Permission")
    VALIDATION = "validation", _("Validation")
    NOT_FOUND = "not_found", _("Not found")
    CONFLICT = "conflict", _("Conflict")
    RATE_LIMIT = "rate_limit", _("Rate limit")
    BILLING = "billing", _("Billing")
    SERVER = "server", _("Server")
    OTHER = "other", _("Other")


def category_choices() -> list[tuple[str, str]]:
    """``ERROR_REGISTRY["CATEGORIES"]`` (values, or (value, label) pairs), the built-in list by
    default: read when a form is built, so a project's own categories pass the admin's validation."""
    from errorregistry.conf import registry_settings

    configured = registry_settings.CATEGORIES
    if configured is None:
        return list(Category.choices)
    return [(item, item.replace("_", " ").capitalize()) if isinstance(item, str) else tuple(item) for item in configured]


class AuditPolicy(models.TextChoices):
    ALWAYS = "always", _("Always")
    NEVER = "never", _("Never")
    SAMPLED = "sampled", _("Sampled")


class ErrorCode(models.Model):
    """One public error code: a contract with API clients, edited by product people."""

    code = models.CharField(_("code"), max_length=64, unique=True, validators=[code_validator])
    http_status = models.PositiveSmallIntegerField(
        _("HTTP status"), validators=[MinValueValidator(400), MaxValueValidator(599)]
    )
    category = models.CharField(_("category"), max_length=20, choices=category_choices, default=Category.OTHER)
    message = models.TextField(
        _("message"), help_text=_("Default-language text. May contain {name} placeholders filled from details.")
    )
    action = models.TextField(_("action"), blank=True, help_text=_("What the client should do."))
    retryable = models.BooleanField(_("retryable"), default=False)
    retry_after = models.PositiveIntegerField(
        _("retry after (seconds)"), null=True, blank=True, help_text=_("Default Retry-After header value.")
    )
    docs_url = models.URLField(_("docs URL"), blank=True)
    # The attribute keeps its name (exports, imports, declarations use it); what it does is publishing.
    is_active = models.BooleanField(
        _("published"),
        default=True,
        help_text=_(
            "Listed in the JSON catalog, the reference docs and the OpenAPI schema. An unpublished code is "
            "still sent to clients when it is raised: retire it in the code first."
        ),
    )
    audit_policy = models.CharField(
        _("audit policy"), max_length=10, choices=AuditPolicy.choices, default=AuditPolicy.ALWAYS
    )
    audit_sample_rate = models.FloatField(
        _("audit sample rate"),
        default=1.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Share of events recorded when the policy is 'sampled' (0 to 1)."),
    )
    # Fingerprint of the declaration as the last sync wrote it: a row whose
    # content no longer matches was edited by an admin and is left alone.
    synced_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("error code")
        verbose_name_plural = _("error codes")

    def __str__(self) -> str:
        return self.code


def language_choices() -> list[tuple[str, str]]:
    """Languages a translation may use, read from settings at call time (never baked into migrations)."""
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class ErrorCodeTranslation(models.Model):
    error_code = models.ForeignKey(ErrorCode, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=15)
    message = models.TextField(_("message"), blank=True)
    action = models.TextField(_("action"), blank=True)

    class Meta:
        ordering = ["language"]
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(fields=["error_code", "language"], name="errorregistry_unique_translation")
        ]

    def __str__(self) -> str:
        return f"{self.error_code_id}:{self.language}"

    def clean(self) -> None:
        self.language = (self.language or "").lower()
        if self.language not in dict(language_choices()):
            raise ValidationError({"language": _("Choose one of the languages in settings.LANGUAGES.")})


class ErrorEvent(models.Model):
    """One error response, as the client saw it. Written once, never edited."""

    request_id = models.CharField(_("request ID"), max_length=64)
    client_request_id = models.CharField(_("client request ID"), max_length=128, blank=True)
    code = models.CharField(_("code"), max_length=64)
    unknown_code = models.BooleanField(_("unknown code"), default=False)
    # The code's text named a {placeholder} the error's details had no value for: the client got a
    # generic text instead, and an admin should fix the text or the call site.
    unfilled_placeholder = models.BooleanField(_("unfilled placeholder"), default=False)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"))
    message = models.TextField(_("message"), blank=True)
    language = models.CharField(_("language"), max_length=15, blank=True)
    method = models.CharField(_("method"), max_length=10, blank=True)
    path = models.CharField(_("path"), max_length=512, blank=True)
    query_string = models.CharField(_("query string"), max_length=1024, blank=True)
    view_name = models.CharField(_("view"), max_length=200, blank=True)
    user_id = models.CharField(_("user ID"), max_length=64, blank=True)
    user_name = models.CharField(_("user"), max_length=150, blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=256, blank=True)
    # Details may hold what DRF responses can carry: decimals, dates, UUIDs, lazy strings.
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    exception_class = models.CharField(_("exception"), max_length=200, blank=True)
    # What DRF or Django said before the registry's text replaced it ("CSRF Failed: ...", a parse
    # error's position, a permission class's message): support tells look-alike 4xx apart by it.
    diagnostic = models.TextField(_("diagnostic"), blank=True, default="")
    traceback = models.TextField(_("traceback"), blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    # W3C Trace Context (lowercase hex), from the active OpenTelemetry span or the traceparent header.
    trace_id = models.CharField(_("trace ID"), max_length=32, blank=True, default="")
    span_id = models.CharField(_("span ID"), max_length=16, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("error event")
        verbose_name_plural = _("error events")
        # Tracebacks quote exception texts (a password in a connection string, a token): seeing them
        # is a right of its own, beyond reading events.
        permissions = [("view_traceback", _("Can view error event tracebacks"))]
        indexes = [
            models.Index(fields=["request_id"], name="errorregistry_event_reqid"),
            # Most events carry no client ID and no user: those rows stay out of these two indexes,
            # which keeps each audit write cheaper (every lookup names a non-empty value).
            models.Index(
                fields=["client_request_id"],
                name="errorregistry_event_clientid",
                condition=~models.Q(client_request_id=""),
            ),
            models.Index(fields=["code", "created_at"], name="errorregistry_event_code_time"),
            # Support's "this user's other errors" and the user filter of the recent list.
            models.Index(
                fields=["user_id", "created_at"],
                name="errorregistry_event_user_time",
                condition=~models.Q(user_id=""),
            ),
            # Support's lookup by trace ID; events outside a trace stay out of the index.
            models.Index(
                fields=["trace_id"],
                name="errorregistry_event_trace",
                condition=~models.Q(trace_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.code} {self.http_status}"


class ErrorFlood(models.Model):
    """Repeats of one code from one client that flood control counted instead of storing.

    Support finds here what happened to a request ID that has no event: the ID's
    own timestamp falls between ``first_at`` and ``last_at`` of the flood that counted it.
    """

    code = models.CharField(_("code"), max_length=64)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    first_request_id = models.CharField(_("first request ID"), max_length=64)
    last_request_id = models.CharField(_("last request ID"), max_length=64)
    first_at = models.DateTimeField(_("first"))
    last_at = models.DateTimeField(_("last"))
    count = models.PositiveIntegerField(_("repeats counted"))

    class Meta:
        ordering = ["-first_at", "-id"]
        verbose_name = _("error flood")
        verbose_name_plural = _("error floods")
        indexes = [
            models.Index(fields=["first_at"], name="errorregistry_flood_first"),
            models.Index(fields=["code", "first_at"], name="errorregistry_flood_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} x{self.count} from {self.client_ip or '?'}"


class ErrorCount(models.Model):
    """How many events of one code were stored in one UTC hour.

    The audit writer adds to these rows in the transaction that stores the events,
    so the support charts and top codes read a table that grows with codes × hours,
    not with the number of events.
    """

    code = models.CharField(_("code"), max_length=64)
    hour = models.DateTimeField(_("hour"))
    count = models.PositiveBigIntegerField(_("events"))

    class Meta:
        ordering = ["-hour", "code"]
        verbose_name = _("error count")
        verbose_name_plural = _("error counts")
        constraints = [
            # The upsert's conflict target: one row per code and hour.
            models.UniqueConstraint(fields=["code", "hour"], name="errorregistry_count_code_hour"),
        ]
        indexes = [models.Index(fields=["hour"], name="errorregistry_count_hour")]

    def __str__(self) -> str:
        return f"{self.code} {self.hour:%Y-%m-%d %H}:00 x{self.count}"


class SupportConsole(ErrorEvent):
    """Proxy that gives the support view its own row on the admin index."""

    class Meta:
        proxy = True
        verbose_name = _("support: look up a request ID")
        verbose_name_plural = _("support: look up a request ID")
