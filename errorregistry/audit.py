"""Write one audit row per error response, outside the request's transaction.

The write never hurts the response: if it fails, the event goes to the
``errorregistry.audit`` logger as one JSON line instead.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
from typing import Any

from django.db import connections, router, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import empty

from errorregistry.conf import registry_settings
from errorregistry.models import AuditPolicy, ErrorEvent
from errorregistry.redaction import redact, redact_query_string
from errorregistry.templating import fill_placeholders
from errorregistry.rendering import ErrorOutcome, well_formed

logger = logging.getLogger("errorregistry")
audit_logger = logging.getLogger("errorregistry.audit")


def should_record(outcome: ErrorOutcome) -> bool:
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


def build_event(request: HttpRequest, outcome: ErrorOutcome) -> ErrorEvent:
    """The unsaved row: bounded, redacted, and without a foreign key to anything."""
    user_id, user_name = user_of(request)
    match = getattr(request, "resolver_match", None)
    meta = request.META
    event = ErrorEvent(
        request_id=outcome.request_id,
        client_request_id=(getattr(request, "client_request_id", "") or "")[:128],
        code=outcome.code[:64],
        unknown_code=outcome.unknown_code,
        http_status=outcome.status,
        message=stored_message(outcome),
        language=outcome.language[:15],
        method=(request.method or "")[:10],
        path=request.path[:512],
        query_string=redact_query_string(meta.get("QUERY_STRING", ""))[:1024],
        view_name=(match.view_name or match._func_path)[:200] if match else "",
        user_id=user_id,
        user_name=user_name,
        context=redact(audit_context(request)),
        client_ip=client_ip(request) if registry_settings.AUDIT_CLIENT_IP else None,
        user_agent=meta.get("HTTP_USER_AGENT", "")[:256],
        details=redact(outcome.details),
        exception_class=outcome.exception_class[:200],
        traceback=outcome.traceback if outcome.status >= 500 else "",
        created_at=timezone.now(),
    )
    for f in ErrorEvent._meta.concrete_fields:
        value = getattr(event, f.attname)
        if isinstance(value, (str, dict, list)):
            setattr(event, f.attname, storable(value))
    return event


def storable(value: Any) -> Any:
    """A copy of ``value`` whose strings any database accepts: clients can put NUL bytes and lone
    surrogates in paths, headers and JSON, which PostgreSQL text and jsonb (and SQLite) refuse."""
    if isinstance(value, str):
        return well_formed(value).replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(item) for item in value]
    return value


def stored_message(outcome: ErrorOutcome) -> str:
    """The message as sent, but with placeholders filled from the redacted details: a
    ``{api_key}`` in admin text must not smuggle a secret past redaction."""
    if not outcome.details or not outcome.message_template:
        return outcome.message
    return fill_placeholders(outcome.message_template, redact(outcome.details))


def record(request: HttpRequest, outcome: ErrorOutcome) -> ErrorEvent | None:
    """Insert the event (one query); on any failure log it and carry on."""
    if not should_record(outcome):
        return None
    try:
        event = build_event(request, outcome)
    except Exception:  # noqa: BLE001 - auditing must never turn an error into a 500
        logger.exception("errorregistry: cannot build the audit event for request %s", outcome.request_id)
        return None
    alias = audit_alias()
    try:
        if connections[alias].in_atomic_block:
            # Only when a caller wraps us in a transaction: keep a failed write from poisoning it.
            with transaction.atomic(using=alias):
                event.save(using=alias, force_insert=True)
        else:
            event.save(using=alias, force_insert=True)
    except Exception:  # noqa: BLE001
        logger.warning("errorregistry: audit write failed for request %s", outcome.request_id, exc_info=True)
        audit_logger.error(event_as_json(event))
        return None
    return event


def audit_alias() -> str:
    """The database audit rows are written to (and purged from)."""
    return registry_settings.AUDIT_DATABASE or router.db_for_write(ErrorEvent)


def event_as_json(event: ErrorEvent) -> str:
    """One JSON line with everything but the traceback (which may quote secrets)."""
    fields = {
        f.attname: getattr(event, f.attname)
        for f in ErrorEvent._meta.concrete_fields
        if f.attname not in ("id", "traceback")
    }
    return json.dumps(fields, default=str, sort_keys=True)


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


def client_ip(request: HttpRequest) -> str | None:
    value = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None

