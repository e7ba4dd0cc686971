"""What each member of the envelope means: one text for the reference page's field table
and for the OpenAPI envelope component, so the two can never say different things."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

from errorregistry.conf import registry_settings
from errorregistry.envelope.formatters import BaseFormatter
from errorregistry.envelope.template import source_of
from errorregistry.publish.document import Code, Text, sentence

_MEMBER_NAMES = (
    "code", "message", "request_id", "details", "errors", "action", "retryable", "retry_after", "docs_url",
    "type", "title", "status", "detail", "instance", "data",
)


# A template's source -> the member name whose meaning it has (``$field_errors`` reads as ``errors``).
_SOURCE_MEMBERS = {"field_errors": "errors", "title": "title", "status": "status"}


def describe_member(formatter: BaseFormatter, key: str, value: Any) -> Text:
    """What one envelope member means, for the field table here and the OpenAPI schema."""
    template = getattr(formatter, "template", None)
    source = source_of(template, key) if template is not None else None
    name = _SOURCE_MEMBERS.get(source or "", source) or {formatter.key(n): n for n in _MEMBER_NAMES}.get(key, key)
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
    if name == "trace_id":
        return (gettext("The trace ID of this request, when it was traced: find it in your tracing tool."),)
    return ("",)


def envelope_members(example: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """(path, value) for each envelope member; wrapper objects are opened, ``details`` is not."""
    members: list[tuple[tuple[str, ...], Any]] = []
    for key, value in example.items():
        path = (*prefix, key)
        members.append((path, value))
        if isinstance(value, dict) and key != "details":
            members.extend(envelope_members(value, path))
    return members


def member_path(example: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    """Where ``key`` sits in an envelope, e.g. ``("error", "code")``; None if absent."""
    for path, value in envelope_members(example):
        if path[-1] == key and not isinstance(value, dict):
            return path
    return None
