"""The reference as a document: a few block and span types, and their two printers.

A page is built once as data (headings, paragraphs, tables, one JSON example) and
printed as Markdown (``errorregistry_docs``) or a self-contained HTML page (the
reference view). Admin-entered text is data: both printers escape it, never interpret it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from django.utils.html import escape

# -- the document model -------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """Inline code: a code, a header or a field name; ``anchor`` gives it an id in HTML."""

    text: str
    anchor: str = ""


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
            anchor = f' id="{escape(span.anchor)}"' if span.anchor else ""
            out.append(f"<code{anchor}>{escape(span.text)}</code>")
        elif isinstance(span, Link):
            out.append(f'<a href="{escape(span.url)}">{_html_text(span.text)}</a>')
        else:
            out.append(escape(span))
    return "".join(out)
