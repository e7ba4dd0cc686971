"""The audit event of one error response: built once, on the request thread, bounded and redacted.

An event is a plain dict keyed by ``ErrorEvent`` column attribute, ready for the
store: strings any database accepts, JSON columns already serialised (so the
writer neither walks nor encodes them again), every free-form value capped.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import traceback
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise, empty
from django.utils.ipv6 import clean_ipv6_address

from errorregistry.audit.redaction import redact, redact_query_string
from errorregistry.conf import registry_settings
from errorregistry.envelope.outcome import ErrorOutcome
from errorregistry.envelope.text import fill_placeholders, well_formed
from errorregistry.models import AuditPolicy
from errorregistry.trace import request_trace

logger = logging.getLogger("errorregistry")

# What one event may store; the response itself is never truncated.
MAX_DETAILS_BYTES = 32 * 1024
MAX_MESSAGE_CHARS = 16 * 1024
MAX_TRACEBACK_CHARS = 64 * 1024
MAX_DIAGNOSTIC_CHARS = 2 * 1024
DETAILS_PREVIEW_CHARS = 2 * 1024

# The columns whose values the event carries as JSON text.
JSON_COLUMNS = ("context", "details")

_encoder = DjangoJSONEncoder(ensure_ascii=False, separators=(",", ":"))


def should_record(outcome: ErrorOutcome) -> bool:
    """The code's audit policy: always, never, or sampled at its rate; unknown codes always."""
    if not registry_settings.AUDIT:
        return False
    entry = outcome.entry
    if entry is None or outcome.unknown_code:
        return True
    if entry.audit_policy == AuditPolicy.NEVER:
        return False
    if entry.audit_policy == AuditPolicy.SAMPLED:
        return random.random() < entry.audit_sample_rate
    return True


def build_event(request: HttpRequest, outcome: ErrorOutcome, address: str | None = None) -> dict[str, Any]:
    """The event to store, by column attribute: bounded, redacted once, storable, no foreign key.
    ``address``: the client's IP address when the caller has it already (``client_ip``)."""
    user_id, user_name = user_of(request)
    match = getattr(request, "resolver_match", None)
    meta = request.META
    rendered = outcome.rendered  # read once: the outcome's properties are each a call
    status = rendered.status
    details = outcome.details  # a copy, built on each read
    details = redact(details) if details else {}
    trace = request_trace(request)
    return {
        "request_id": rendered.request_id,
        "client_request_id": storable((getattr(request, "client_request_id", "") or "")[:128]),
        "code": storable(rendered.code[:64]),
        "unknown_code": outcome.unknown_code,
        "unfilled_placeholder": outcome.unfilled_placeholder,
        "http_status": status,
        "message": storable(capped(stored_message(outcome, details), MAX_MESSAGE_CHARS)),
        "language": storable(rendered.language[:15]),
        "method": storable((request.method or "")[:10]),
        "path": storable(request.path[:512]),
        "query_string": storable(redact_query_string(meta.get("QUERY_STRING", ""))[:1024]),
        "view_name": storable((match.view_name or match._func_path)[:200]) if match else "",
        "user_id": storable(user_id),
        "user_name": storable(user_name),
        "context": json_text(redact(audit_context(request))),
        "client_ip": (address or client_ip(request)) if registry_settings.AUDIT_CLIENT_IP else None,
        "user_agent": storable(meta.get("HTTP_USER_AGENT", "")[:256]),
        "details": capped_details(details),
        "exception_class": outcome.exception_class[:200],  # a Python class's dotted name
        "diagnostic": storable(capped(outcome.diagnostic, MAX_DIAGNOSTIC_CHARS)),
        "traceback": storable(capped_traceback(traceback_of(outcome.exception))) if status >= 500 else "",
        "created_at": timezone.now(),
        "trace_id": trace.trace_id if trace else "",
        "span_id": trace.span_id if trace else "",
    }


def stored_message(outcome: ErrorOutcome, redacted_details: dict[str, Any]) -> str:
    """The message as sent, but with placeholders filled from the redacted details: a
    ``{api_key}`` in admin text must not smuggle a secret past redaction."""
    if not redacted_details or not outcome.message_template:
        return outcome.message
    return fill_placeholders(outcome.message_template, redacted_details)


def traceback_of(exc: BaseException | None) -> str:
    """The traceback support reads on the event page (5xx only, formatted once, here)."""
    if exc is None:
        return ""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def capped(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"… [truncated: {len(text):,} characters]"


def capped_traceback(text: str) -> str:
    """The end of a long traceback: the innermost frames and the exception are what support reads."""
    if len(text) <= MAX_TRACEBACK_CHARS:
        return text
    return f"[truncated: the first {len(text) - MAX_TRACEBACK_CHARS:,} characters]\n" + text[-MAX_TRACEBACK_CHARS:]


def capped_details(details: dict[str, Any]) -> str:
    """The details as JSON of at most ``MAX_DETAILS_BYTES``: a long field-error list keeps its
    first items and says how many it dropped; anything else too large keeps a preview."""
    text = json_text(details)
    size = json_size(text)
    if size <= MAX_DETAILS_BYTES:
        return text
    errors = details.get("errors")
    if isinstance(errors, list) and len(errors) > 1:
        keep = max(1, int(len(errors) * MAX_DETAILS_BYTES * 0.9 / size))
        while keep >= 1:
            shortened = json_text(dict(details, errors=errors[:keep], errors_truncated=len(errors) - keep))
            if json_size(shortened) <= MAX_DETAILS_BYTES:
                return shortened
            keep //= 2
    return json_text({"truncated": f"{size:,} bytes of details, over the {MAX_DETAILS_BYTES:,}-byte limit",
                      "preview": text[:DETAILS_PREVIEW_CHARS]})


def json_size(text: str) -> int:
    """Bytes of ``text`` in UTF-8, without encoding it when its length already settles the question."""
    if len(text) * 4 <= MAX_DETAILS_BYTES or text.isascii():
        return len(text)
    return len(text.encode("utf-8"))


def json_text(value: Any) -> str:
    """``value`` as JSON that PostgreSQL's jsonb and SQLite accept: no NUL, no lone surrogate."""
    if not value and isinstance(value, dict):
        return "{}"
    try:
        text = _encoder.encode(value)
    except (TypeError, ValueError):  # a key JSON cannot hold, a circular structure
        text = _encoder.encode({"unserialisable": storable(repr(value)[:DETAILS_PREVIEW_CHARS])})
    if "\\u0000" in text or not (text.isascii() or is_utf8(text)):
        text = _encoder.encode(storable(value))
    return text


def is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable(value: Any) -> Any:
    """A copy of ``value`` whose strings any database accepts: clients can put NUL bytes and lone
    surrogates in paths, headers and JSON, which PostgreSQL text and jsonb (and SQLite) refuse."""
    if type(value) is str and value.isascii() and "\x00" not in value:
        return value  # nearly every value: checked in C, returned as it is
    if isinstance(value, Promise):  # a lazy translation in a project's catalog
        value = str(value)
    if isinstance(value, str):
        if value.isascii():  # the common case, checked in C: only a NUL can be wrong
            return value.replace("\x00", "\ufffd") if "\x00" in value else value
        return well_formed(value).replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(item) for item in value]
    return value


def event_as_json(event: dict[str, Any]) -> str:
    """One JSON line with everything but the traceback (which may quote secrets)."""
    line = {name: value for name, value in event.items() if name != "traceback"}
    for name in JSON_COLUMNS:
        if isinstance(line.get(name), str):
            line[name] = json.loads(line[name])
    return json.dumps(line, default=str, sort_keys=True)


def user_of(request: HttpRequest) -> tuple[str, str]:
    """The user only if authentication already ran: reading it must not cost a query."""
    user = request.__dict__.get("user")
    if user is None:
        return "", ""
    if getattr(user, "_wrapped", None) is empty:
        return "", ""
    if not getattr(user, "is_authenticated", False):
        return "", ""
    return str(user.pk)[:64], str(user.get_username())[:150]


def audit_context(request: HttpRequest) -> dict[str, Any]:
    hook = registry_settings.AUDIT_CONTEXT
    if hook is None:
        return {}
    try:
        context = hook(request)
        return dict(context or {})
    except Exception:  # noqa: BLE001
        logger.warning("errorregistry: AUDIT_CONTEXT hook failed", exc_info=True)
        return {"context_error": "the AUDIT_CONTEXT hook raised"}


_known_addresses: dict[str, str | None] = {}


def client_ip(request: HttpRequest) -> str | None:
    """``REMOTE_ADDR`` when it is an IP address (parsed once per address, not once per event)."""
    value = request.META.get("REMOTE_ADDR", "")
    try:
        return _known_addresses[value]
    except KeyError:
        pass
    try:
        address: str | None = str(ipaddress.ip_address(value))
    except ValueError:
        address = None
    if address and ":" in address:
        # As GenericIPAddressField stores it (``::ffff:1.2.3.4``, not ``::ffff:102:304``): the
        # store writes addresses as they are, and a lookup by the admin's form must find them.
        address = clean_ipv6_address(address)
    if len(_known_addresses) >= 4096:
        _known_addresses.clear()
    _known_addresses[value] = address
    return address
