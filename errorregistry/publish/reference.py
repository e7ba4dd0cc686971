"""The error reference page, generated from the registry so it can never drift from the API.

``build_reference`` turns the registry into a ``document.Reference`` (headings,
paragraphs, tables, one JSON example) in the requested language;
``document.render_markdown`` and ``document.render_html`` print it. The envelope
example is produced by the configured formatter, so switching the preset
changes the page too. Admin-entered text is data: it is escaped in both
formats, never interpreted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy

from errorregistry.conf import registry_settings
from errorregistry.envelope.anchor import reference_anchor
from errorregistry.envelope.formatters import (
    BaseFormatter,
    RenderedError,
    get_formatter,
    status_phrase,
)
from errorregistry.envelope.language import supported_language
from errorregistry.envelope.template import member_of
from errorregistry.envelope.response import stable_title
from errorregistry.envelope.text import is_web_url
from errorregistry.envelope.validation import field_errors
from errorregistry.models import Category
from errorregistry.publish.document import (
    Block,
    BulletList,
    Code,
    CodeBlock,
    Heading,
    Link,
    Paragraph,
    Reference,
    Span,
    Table,
    Text,
    joined,
    render_html,
    render_markdown,
    sentence,
)
from errorregistry.publish.members import describe_member, envelope_members, member_path
from errorregistry.registry.declarations import INTERNAL_ERROR, builtin_name
from errorregistry.registry.store import Entry, registry

FORMATS = ("markdown", "html")
EXAMPLE_CODE = "validation_error"
VALIDATION_CODE = "validation_error"

# ERROR_REGISTRY["REFERENCE"] is merged over this: today's layout.
REFERENCE_DEFAULTS: dict[str, Any] = {
    # Columns of the code tables, in order: any of REFERENCE_COLUMNS.
    "COLUMNS": ["code", "status", "retry", "message", "action"],
    # Column -> heading, replacing the translated default (e.g. {"message": "When"}).
    "HEADINGS": {},
    # "category": one table per category, headed "Category (statuses)"; None: one flat table.
    "GROUP_BY": "category",
    # The code whose envelope the page shows (a built-in name is renamed by BUILTIN_CODE_NAMES).
    "EXAMPLE_CODE": EXAMPLE_CODE,
    # Only these codes (None: every active code).
    "CODES": None,
}
REFERENCE_COLUMNS: dict[str, Any] = {
    "code": gettext_lazy("Code"),
    "status": gettext_lazy("Status"),
    "retry": gettext_lazy("Retry?"),
    "message": gettext_lazy("Message"),
    "action": gettext_lazy("What to do"),
    "category": gettext_lazy("Category"),
}
GROUPINGS = ("category", None)


def reference_layout() -> dict[str, Any]:
    """``REFERENCE_DEFAULTS`` with the project's ``ERROR_REGISTRY["REFERENCE"]`` over it."""
    return {**REFERENCE_DEFAULTS, **(registry_settings.REFERENCE or {})}


def reference_problems(layout: Any) -> list[str]:
    """What in ``ERROR_REGISTRY["REFERENCE"]`` the page cannot use (the system check reports it)."""
    if not isinstance(layout, dict):
        return [f"it is {layout!r}, not a dict"]
    problems = [f"unknown key {key!r}" for key in layout if key not in REFERENCE_DEFAULTS]
    merged = {**REFERENCE_DEFAULTS, **layout}
    columns = merged["COLUMNS"]
    if not isinstance(columns, list) or not columns or any(c not in REFERENCE_COLUMNS for c in columns):
        problems.append(f"COLUMNS {columns!r} must be a non-empty list of {', '.join(REFERENCE_COLUMNS)}")
    headings = merged["HEADINGS"]
    if not isinstance(headings, dict) or any(k not in REFERENCE_COLUMNS or not isinstance(v, str) for k, v in headings.items()):
        problems.append(f"HEADINGS {headings!r} must map columns to text")
    if merged["GROUP_BY"] not in GROUPINGS:
        problems.append(f'GROUP_BY {merged["GROUP_BY"]!r} must be "category" or None')
    if not isinstance(merged["EXAMPLE_CODE"], str):
        problems.append("EXAMPLE_CODE must be a code")
    codes = merged["CODES"]
    if codes is not None and (not isinstance(codes, list) or not all(isinstance(c, str) for c in codes)):
        problems.append("CODES must be None or a list of codes")
    return problems
EXAMPLE_REQUEST_ID = "req_01J8Z3K4M5N6P7Q8R9S0T1V2W3"
EXAMPLE_PATH = "/api/orders/"


# -- building the page ----------------------------------------------------------

# Reasons per status, for the status table. Statuses outside this map use the
# standard English reason phrase.
STATUS_MEANINGS: dict[int, Any] = {
    400: gettext_lazy("Bad request: the body or the parameters are malformed or invalid."),
    401: gettext_lazy("Unauthorized: credentials are missing, invalid or expired."),
    402: gettext_lazy("Payment required: the operation needs credits or a paid plan."),
    403: gettext_lazy("Forbidden: authenticated, but not allowed to do this."),
    404: gettext_lazy("Not found: the resource does not exist or is not visible to you."),
    405: gettext_lazy("Method not allowed: the Allow header lists the methods this URL accepts."),
    406: gettext_lazy("Not acceptable: the requested response format is not available."),
    409: gettext_lazy("Conflict: the request conflicts with the current state of the resource."),
    410: gettext_lazy("Gone: the resource existed but was removed for good."),
    413: gettext_lazy("Content too large: the request body is bigger than allowed."),
    415: gettext_lazy("Unsupported media type: send the body in a supported format."),
    422: gettext_lazy("Unprocessable content: well-formed, but semantically invalid."),
    429: gettext_lazy("Too many requests: the rate limit was exceeded; wait, then retry."),
    500: gettext_lazy("Internal server error: an unexpected failure; retry with backoff."),
    502: gettext_lazy("Bad gateway: an upstream service failed; retry with backoff."),
    503: gettext_lazy("Service unavailable: a temporary condition; retry with backoff."),
    504: gettext_lazy("Gateway timeout: an upstream service did not answer in time; retry with backoff."),
}


def resolve_language(requested: str | None) -> str:
    """The best of ``settings.LANGUAGES`` for ``requested`` (``fr-ca`` -> ``fr``), else ``LANGUAGE_CODE``."""
    return (requested and supported_language(requested)) or settings.LANGUAGE_CODE


def build_reference(language: str | None = None) -> Reference:
    """The reference page for the current registry, in ``language`` (page text and code texts alike)."""
    language = resolve_language(language)
    with translation.override(language):
        return _PageBuilder(language, registry.all(), get_formatter()).build()


class _PageBuilder:
    """Collects the blocks of one page; runs inside ``translation.override``."""

    def __init__(self, language: str, entries: Mapping[str, Entry], formatter: BaseFormatter) -> None:
        self.language = language
        self.entries = dict(sorted(entries.items()))
        self.formatter = formatter
        self.layout = reference_layout()
        if self.layout["CODES"] is not None:
            shown = {builtin_name(code) for code in self.layout["CODES"]}
            self.entries = {code: entry for code, entry in self.entries.items() if code in shown}
        self.validation_code = builtin_name(VALIDATION_CODE)
        self.example_code = builtin_name(self.layout["EXAMPLE_CODE"])
        internal = builtin_name(INTERNAL_ERROR)
        self.example_entry = self.entries.get(self.example_code) or self.entries.get(internal) or registry.get(internal)
        self.example = self.envelope_example()
        template = getattr(formatter, "template", None)
        if template is not None:
            # A template names its members: seed 001's request ID is error.trace_id, seed 000 has none.
            self.code_path = member_of(template, "code") or ("code",)
            self.message_path = member_of(template, "message") or member_of(template, "title") or ("message",)
            self.request_id_path: tuple[str, ...] | None = member_of(template, "request_id")
        else:
            self.code_path = member_path(self.example, "code") or ("code",)
            self.message_path = member_path(self.example, "message") or member_path(self.example, "title") or ("message",)
            self.request_id_path = member_path(self.example, formatter.key("request_id")) or (formatter.key("request_id"),)

    def build(self) -> Reference:
        blocks: list[Block] = [
            Heading(1, (gettext("Errors"),)),
            Paragraph(
                sentence(
                    gettext(
                        "The API uses conventional HTTP status codes and returns every failure in the same "
                        "JSON envelope. Its %(code)s field is stable and safe to branch on."
                    ),
                    code=Code(".".join(self.code_path)),
                )
            ),
            *self.envelope_section(),
            *self.status_section(),
            *self.codes_section(),
            *self.retry_section(),
        ]
        return Reference(self.language, gettext("Errors"), tuple(blocks), self.example)

    # -- envelope -------------------------------------------------------------

    def envelope_example(self) -> dict[str, Any]:
        """A validation error as the configured formatter renders it (falls back to any active code)."""
        entry = self.example_entry
        message, action, message_language = entry.texts(self.language)
        errors = example_field_errors() if entry.code == self.validation_code else None
        return self.formatter.example(
            RenderedError(
                code=entry.code,
                status=entry.http_status,
                message=message,
                request_id=EXAMPLE_REQUEST_ID,
                action=action,
                retryable=entry.retryable,
                retry_after=entry.retry_after,
                docs_url=entry.docs_url,
                errors=errors,
                instance=EXAMPLE_PATH,
                language=message_language,
                title=stable_title(message, entry.http_status),
                type=entry.docs_url or reference_anchor(entry.code),
                category=entry.category,
            )
        )

    def envelope_section(self) -> list[Block]:
        blocks: list[Block] = [
            Heading(2, (gettext("Error envelope"),), "envelope"),
            Paragraph((self.example_intro(),)),
            CodeBlock("json", json.dumps(self.example, indent=2, ensure_ascii=False)),
        ]
        if self.formatter.content_type != "application/json":
            blocks.append(
                Paragraph(
                    sentence(
                        gettext("Error responses use the media type %(media_type)s."),
                        media_type=Code(self.formatter.content_type),
                    )
                )
            )
        if not self.describable():
            blocks.append(
                Paragraph(
                    (gettext("This envelope comes from a custom formatter that declares no schema: the page "
                             "cannot describe its members beyond this example."),)
                )
            )
            return blocks
        rows = [
            ((Code(".".join(path)),), describe_member(self.formatter, path[-1], value))
            for path, value in envelope_members(self.example)
        ]
        blocks.append(Table((gettext("Field"), gettext("Meaning")), tuple(rows)))
        return blocks

    def describable(self) -> bool:
        """A template (every preset is one) or a formatter that declares its schema: the page knows its members."""
        return hasattr(self.formatter, "template") or bool(getattr(self.formatter, "json_schema", None))

    def example_intro(self) -> str:
        if self.example_entry.code == self.validation_code:
            return gettext("Every error response has this shape; here, a validation error:")
        return gettext("Every error response has this shape:")

    # -- statuses ---------------------------------------------------------------

    def status_section(self) -> list[Block]:
        statuses = sorted({entry.http_status for entry in self.entries.values()})
        rows = tuple(((Code(str(status)),), (status_meaning(status),)) for status in statuses)
        return [
            Heading(2, (gettext("HTTP status codes"),), "statuses"),
            Table((gettext("Status"), gettext("Meaning")), rows),
        ]

    # -- codes ------------------------------------------------------------------

    def codes_section(self) -> list[Block]:
        grouped = self.layout["GROUP_BY"] == "category"
        intro = gettext("Every code the API may return, grouped by category.") if grouped else gettext(
            "Every code the API may return."
        )
        blocks: list[Block] = [Heading(2, (gettext("Error codes"),), "codes"), Paragraph((intro,))]
        columns = self.layout["COLUMNS"]
        headers = tuple(str(self.layout["HEADINGS"].get(c) or REFERENCE_COLUMNS[c]) for c in columns)
        if not grouped:
            entries = sorted(self.entries.values(), key=lambda e: (e.http_status, e.code))
            blocks.append(Table(headers, tuple(self.code_row(entry) for entry in entries)))
            return blocks
        for category, entries in group_by_category(self.entries.values()):
            statuses = ", ".join(str(s) for s in sorted({e.http_status for e in entries}))
            title = gettext("%(category)s (%(statuses)s)") % {"category": category_label(category), "statuses": statuses}
            blocks.append(Heading(3, (title,), slugify(category) or "other"))
            blocks.append(Table(headers, tuple(self.code_row(entry) for entry in entries)))
        return blocks

    def code_row(self, entry: Entry) -> tuple[Text, ...]:
        message, action, _ = entry.texts(self.language)
        # The anchor the problem preset's default "type" points at.
        code: Span = Code(entry.code, anchor=f"code-{entry.code}")
        if is_web_url(entry.docs_url):
            code = Link((code,), entry.docs_url)
        cells: dict[str, Text] = {
            "code": (code,),
            "status": (str(entry.http_status),),
            "retry": (retry_label(entry),),
            "message": (message,),
            "action": (action,),
            "category": (category_label(entry.category),),
        }
        return tuple(cells[column] for column in self.layout["COLUMNS"])

    # -- retries and support ----------------------------------------------------

    def retry_section(self) -> list[Block]:
        retryable = [Code(e.code) for e in self.entries.values() if e.retryable]
        if retryable:
            first = sentence(
                gettext("Retry only the codes marked as retryable: %(codes)s."), codes=joined(retryable)
            )
        else:
            first = (gettext("No code is marked as retryable: fix the request before sending it again."),)
        items = (
            first,
            sentence(
                gettext(
                    "When a response carries a %(header)s header, wait at least that many seconds before "
                    "retrying; otherwise back off exponentially (1, 2, 4, 8 seconds…) and stop after a few attempts."
                ),
                header=Code("Retry-After"),
            ),
            (gettext("Do not resend other failed requests unchanged: they fail the same way until the request, "
                     "the credentials or the account is fixed."),),
            sentence(
                gettext("Branch on %(code)s, never on %(message)s: messages are translated and may change, "
                        "codes are part of the contract."),
                code=Code(".".join(self.code_path)),
                message=Code(".".join(self.message_path)),
            ),
            self.support_item(),
        )
        return [Heading(2, (gettext("Retries and support"),), "retries"), BulletList(items)]

    def support_item(self) -> Text:
        header = Code(registry_settings.REQUEST_ID_HEADER)
        if self.request_id_path is None:
            return sentence(
                gettext("When contacting support, include the request ID sent as the %(header)s response header."),
                header=header,
            )
        return sentence(
            gettext("When contacting support, include the request ID: %(field)s in the body, also sent as "
                    "the %(header)s response header."),
            field=Code(".".join(self.request_id_path)),
            header=header,
        )


def example_field_errors() -> list[dict[str, Any]]:
    """The field errors DRF itself produces for an invalid e-mail address, in the active language."""
    from rest_framework import serializers

    class ExampleSerializer(serializers.Serializer):
        email = serializers.EmailField()

    serializer = ExampleSerializer(data={"email": "not-an-email"})
    serializer.is_valid()
    return field_errors(serializer.errors)


def group_by_category(entries: Iterable[Entry]) -> list[tuple[str, list[Entry]]]:
    """Categories in the model's order (unknown ones last, by name); codes by status, then code."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.category, []).append(entry)
    order = {value: index for index, value in enumerate(Category.values)}
    return [
        (category, sorted(groups[category], key=lambda e: (e.http_status, e.code)))
        for category in sorted(groups, key=lambda c: (order.get(c, len(order)), c))
    ]


def category_label(category: str) -> str:
    labels = dict(Category.choices)
    return str(labels[category]) if category in labels else category.replace("_", " ").capitalize()


def status_meaning(status: int) -> str:
    if status in STATUS_MEANINGS:
        return str(STATUS_MEANINGS[status])
    return status_phrase(status, unnamed=str(status))


def retry_label(entry: Entry) -> str:
    if not entry.retryable:
        return gettext("No")
    if entry.retry_after:
        return gettext("Yes, after %(seconds)s s") % {"seconds": entry.retry_after}
    return gettext("Yes")


# -- one entry point for the command and the view --------------------------------


def render_reference(output_format: str, language: str | None = None) -> str:
    """The page in ``markdown`` or ``html``, in ``language``."""
    if output_format not in FORMATS:
        raise ValueError(f"Unknown format {output_format!r}; choose one of {', '.join(FORMATS)}.")
    reference = build_reference(language)
    return render_markdown(reference) if output_format == "markdown" else render_html(reference)
