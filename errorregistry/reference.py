"""The error reference page, generated from the registry so it can never drift from the API.

``build_reference`` turns the registry into a small document (headings,
paragraphs, tables, one JSON example) in the requested language;
``render_markdown`` and ``render_html`` print that document. The envelope
example is produced by the configured formatter, so switching the preset
changes the page too. Admin-entered text is data: it is escaped in both
formats, never interpreted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Union

from django.conf import settings
from django.utils import translation
from django.utils.html import escape
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy

from errorregistry.catalog import INTERNAL_ERROR
from errorregistry.conf import registry_settings
from errorregistry.formatters import BaseFormatter, RenderedError, get_formatter
from errorregistry.models import Category
from errorregistry.rendering import supported_language
from errorregistry.templating import is_web_url
from errorregistry.registry import Entry, registry
from errorregistry.validation import field_errors

FORMATS = ("markdown", "html")
EXAMPLE_CODE = "validation_error"
EXAMPLE_REQUEST_ID = "req_01J8Z3K4M5N6P7Q8R9S0T1V2W3"
EXAMPLE_PATH = "/api/orders/"


# -- the document model -------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """Inline code: a code, a header or a field name."""

    text: str


@dataclass(frozen=True)
class Link:
    text: tuple[Span, ...]
    url: str


Span = Union[str, Code, Link]
Text = tuple[Span, ...]


@dataclass(frozen=True)
class Heading:
    level: int
    text: Text
    anchor: str = ""


@dataclass(frozen=True)
class Paragraph:
    text: Text


@dataclass(frozen=True)
class CodeBlock:
    language: str
    content: str


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Text, ...], ...]


@dataclass(frozen=True)
class BulletList:
    items: tuple[Text, ...]


Block = Union[Heading, Paragraph, CodeBlock, Table, BulletList]


@dataclass(frozen=True)
class Reference:
    """The whole page, already translated; renderers only print it."""

    language: str
    title: str
    blocks: tuple[Block, ...]
    envelope_example: Mapping[str, Any] = field(default_factory=dict)


def sentence(template: str, **values: Span | Text) -> Text:
    """Fill ``%(name)s`` placeholders of a translated sentence with spans (code, links) instead of text."""
    marks = {name: f"\x00{index}\x00" for index, name in enumerate(values)}
    filled = template % marks
    ordered = list(values.values())
    spans: list[Span] = []
    for position, piece in enumerate(filled.split("\x00")):
        if position % 2 == 0:
            if piece:
                spans.append(piece)
            continue
        value = ordered[int(piece)]
        spans.extend(value if isinstance(value, tuple) else (value,))
    return tuple(spans)


def plain_text(text: Text) -> str:
    """The text without its markup, for contexts that take a plain string."""
    parts = []
    for span in text:
        if isinstance(span, Link):
            parts.append(plain_text(span.text))
        else:
            parts.append(span if isinstance(span, str) else span.text)
    return "".join(parts)


def joined(spans: Iterable[Span], separator: str = ", ") -> Text:
    result: list[Span] = []
    for index, span in enumerate(spans):
        if index:
            result.append(separator)
        result.append(span)
    return tuple(result)


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
        self.example_entry = (
            self.entries.get(EXAMPLE_CODE) or self.entries.get(INTERNAL_ERROR) or registry.get(INTERNAL_ERROR)
        )
        self.example = self.envelope_example()
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
        errors = example_field_errors() if entry.code == EXAMPLE_CODE else None
        return self.formatter.format(
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
        rows = [
            ((Code(".".join(path)),), describe_member(self.formatter, path[-1], value))
            for path, value in _members(self.example)
        ]
        blocks.append(Table((gettext("Field"), gettext("Meaning")), tuple(rows)))
        return blocks

    def example_intro(self) -> str:
        if self.example_entry.code == EXAMPLE_CODE:
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
        blocks: list[Block] = [
            Heading(2, (gettext("Error codes"),), "codes"),
            Paragraph((gettext("Every code the API may return, grouped by category."),)),
        ]
        headers = (gettext("Code"), gettext("Status"), gettext("Retry?"), gettext("Message"), gettext("What to do"))
        for category, entries in group_by_category(self.entries.values()):
            statuses = ", ".join(str(s) for s in sorted({e.http_status for e in entries}))
            title = gettext("%(category)s (%(statuses)s)") % {"category": category_label(category), "statuses": statuses}
            blocks.append(Heading(3, (title,), slugify(category) or "other"))
            blocks.append(Table(headers, tuple(self.code_row(entry) for entry in entries)))
        return blocks

    def code_row(self, entry: Entry) -> tuple[Text, ...]:
        message, action, _ = entry.texts(self.language)
        code: Span = Code(entry.code)
        if is_web_url(entry.docs_url):
            code = Link((code,), entry.docs_url)
        return ((code,), (str(entry.http_status),), (retry_label(entry),), (message,), (action,))

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
            sentence(
                gettext("When contacting support, include the request ID: %(field)s in the body, also sent as "
                        "the %(header)s response header."),
                field=Code(".".join(self.request_id_path)),
                header=Code(registry_settings.REQUEST_ID_HEADER),
            ),
        )
        return [Heading(2, (gettext("Retries and support"),), "retries"), BulletList(items)]


_MEMBER_NAMES = (
    "code", "message", "request_id", "details", "errors", "action", "retryable", "retry_after", "docs_url",
    "type", "title", "status", "detail", "instance", "data",
)


def describe_member(formatter: BaseFormatter, key: str, value: Any) -> Text:
    """What one envelope member means, for the field table here and the OpenAPI schema."""
    name = {formatter.key(n): n for n in _MEMBER_NAMES}.get(key, key)
    header = Code(registry_settings.REQUEST_ID_HEADER)
    if isinstance(value, dict) and name != "details":
        return (gettext("The error object."),)
    if name == "code":
        return (gettext("Stable, machine-readable error code. Branch on this value."),)
    if name in ("message", "title") or (name == "detail" and isinstance(value, str)):
        return (gettext("Human-readable description in the client's language. It may change: do not parse it."),)
    if name == "request_id":
        return sentence(
            gettext("Unique ID of this request, also sent in the %(header)s header. Include it when contacting support."),
            header=header,
        )
    if name == "details" and isinstance(value, dict) and "errors" in value:
        return sentence(
            gettext("Extra facts about this error. For a validation error, %(errors)s lists each invalid field "
                    "with its dot path, a code and a message."),
            errors=Code(f"{key}.errors"),
        )
    if name == "details":
        return (gettext("Extra facts about this error, such as the values that caused it."),)
    if name == "errors":
        return (gettext("One entry per invalid field: its dot path, a code and a message."),)
    if name == "action":
        return (gettext("What to do about it."),)
    if name == "retryable":
        return (gettext("Whether the same request may succeed if sent again later."),)
    if name == "retry_after":
        return sentence(gettext("Seconds to wait before retrying, as in the %(header)s header."), header=Code("Retry-After"))
    if name == "docs_url" or name == "type":
        return (gettext("Link to the documentation of this code."),)
    if name == "status" and isinstance(value, int):
        return (gettext("The HTTP status code, repeated in the body."),)
    if name == "status":
        return sentence(gettext("Always %(value)s on failure."), value=Code(json.dumps(value)))
    if name == "data":
        return sentence(gettext("Always %(value)s on failure."), value=Code("null"))
    if name == "instance":
        return (gettext("The path of the request that failed."),)
    return ("",)


def example_field_errors() -> list[dict[str, Any]]:
    """The field errors DRF itself produces for an invalid e-mail address, in the active language."""
    from rest_framework import serializers

    class ExampleSerializer(serializers.Serializer):
        email = serializers.EmailField()

    serializer = ExampleSerializer(data={"email": "not-an-email"})
    serializer.is_valid()
    return field_errors(serializer.errors)


def _members(example: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """(path, value) for each envelope member; wrapper objects are opened, ``details`` is not."""
    members: list[tuple[tuple[str, ...], Any]] = []
    for key, value in example.items():
        path = (*prefix, key)
        members.append((path, value))
        if isinstance(value, dict) and key != "details":
            members.extend(_members(value, path))
    return members


def member_path(example: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    """Where ``key`` sits in an envelope, e.g. ``("error", "code")``; None if absent."""
    for path, value in _members(example):
        if path[-1] == key and not isinstance(value, dict):
            return path
    return None


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
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return str(status)


def retry_label(entry: Entry) -> str:
    if not entry.retryable:
        return gettext("No")
    if entry.retry_after:
        return gettext("Yes, after %(seconds)s s") % {"seconds": entry.retry_after}
    return gettext("Yes")


# -- Markdown -------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")


def markdown_escape(text: str) -> str:
    """Admin text as literal Markdown: no HTML, no emphasis, no table breaks."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


def render_markdown(reference: Reference) -> str:
    parts = [_markdown_block(block) for block in reference.blocks]
    return "\n\n".join(parts) + "\n"


def _markdown_block(block: Block) -> str:
    if isinstance(block, Heading):
        return "#" * block.level + " " + markdown_text(block.text)
    if isinstance(block, Paragraph):
        return markdown_text(block.text)
    if isinstance(block, CodeBlock):
        longest = max((len(run) for run in re.findall(r"`+", block.content)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}{block.language}\n{block.content}\n{fence}"
    if isinstance(block, Table):
        lines = [
            "| " + " | ".join(markdown_escape(h) for h in block.headers) + " |",
            "|" + "---|" * len(block.headers),
        ]
        lines += ["| " + " | ".join(markdown_text(cell) for cell in row) + " |" for row in block.rows]
        return "\n".join(lines)
    return "\n".join("- " + markdown_text(item) for item in block.items)


def markdown_text(text: Text) -> str:
    """Spans as Markdown: code spans fenced, links vetted, plain (admin) text escaped."""
    out = []
    for span in text:
        if isinstance(span, Code):
            content = " ".join(span.text.split()).replace("|", "\\|")
            ticks = "``" if "`" in content else "`"
            pad = " " if ticks == "``" else ""
            out.append(f"{ticks}{pad}{content}{pad}{ticks}")
        elif isinstance(span, Link):
            url = span.url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
            out.append(f"[{markdown_text(span.text)}]({url})")
        else:
            out.append(markdown_escape(span))
    return "".join(out)


# -- HTML -----------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; line-height: 1.5;
       max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
h1, h2, h3 { line-height: 1.25; }
h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { border: 1px solid #d0d7de; padding: .4rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em;
       background: #f6f8fa; padding: .1rem .25rem; border-radius: 4px; }
pre { background: #f6f8fa; padding: 1rem; overflow: auto; border-radius: 6px; }
pre code { background: none; padding: 0; }
a { color: #0969da; }
""".strip()


def render_html(reference: Reference) -> str:
    """A complete, self-contained page: inline CSS, no scripts, no external assets."""
    body = "\n".join(_html_block(block) for block in reference.blocks)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(reference.language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(reference.title)}</title>\n<style>\n{STYLE}\n</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _html_block(block: Block) -> str:
    if isinstance(block, Heading):
        anchor = f' id="{escape(block.anchor)}"' if block.anchor else ""
        return f"<h{block.level}{anchor}>{_html_text(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        return f"<p>{_html_text(block.text)}</p>"
    if isinstance(block, CodeBlock):
        return f'<pre><code class="language-{escape(block.language)}">{escape(block.content)}</code></pre>'
    if isinstance(block, Table):
        head = "".join(f"<th>{escape(h)}</th>" for h in block.headers)
        rows = "\n".join(
            "<tr>" + "".join(f"<td>{_html_text(cell)}</td>" for cell in row) + "</tr>" for row in block.rows
        )
        return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>"
    items = "\n".join(f"<li>{_html_text(item)}</li>" for item in block.items)
    return f"<ul>\n{items}\n</ul>"


def _html_text(text: Text) -> str:
    out = []
    for span in text:
        if isinstance(span, Code):
            out.append(f"<code>{escape(span.text)}</code>")
        elif isinstance(span, Link):
            out.append(f'<a href="{escape(span.url)}">{_html_text(span.text)}</a>')
        else:
            out.append(escape(span))
    return "".join(out)


# -- one entry point for the command and the view --------------------------------


def render_reference(output_format: str, language: str | None = None) -> str:
    """The page in ``markdown`` or ``html``, in ``language``."""
    if output_format not in FORMATS:
        raise ValueError(f"Unknown format {output_format!r}; choose one of {', '.join(FORMATS)}.")
    reference = build_reference(language)
    return render_markdown(reference) if output_format == "markdown" else render_html(reference)
