"""Write one audit row per error response, outside the request's transaction.

The write never hurts the response: if it fails, the event goes to the
``errorregistry.audit`` logger as one JSON line instead.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
from functools import lru_cache
from typing import Any

from django.db import connections, router, transaction
from django.db import models
from django.db.models import Field
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise, empty

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


def event_row(request: HttpRequest, outcome: ErrorOutcome) -> dict[str, Any]:
    """The row to insert, by column attribute: bounded, redacted, storable, no foreign key."""
    user_id, user_name = user_of(request)
    match = getattr(request, "resolver_match", None)
    meta = request.META
    row = {
        "request_id": outcome.request_id,
        "client_request_id": (getattr(request, "client_request_id", "") or "")[:128],
        "code": outcome.code[:64],
        "unknown_code": outcome.unknown_code,
        "http_status": outcome.status,
        "message": stored_message(outcome),
        "language": outcome.language[:15],
        "method": (request.method or "")[:10],
        "path": request.path[:512],
        "query_string": redact_query_string(meta.get("QUERY_STRING", ""))[:1024],
        "view_name": (match.view_name or match._func_path)[:200] if match else "",
        "user_id": user_id,
        "user_name": user_name,
        "context": redact(audit_context(request)),
        "client_ip": client_ip(request) if registry_settings.AUDIT_CLIENT_IP else None,
        "user_agent": meta.get("HTTP_USER_AGENT", "")[:256],
        "details": redact(outcome.details),
        "exception_class": outcome.exception_class[:200],
        "traceback": outcome.traceback if outcome.status >= 500 else "",
        "created_at": timezone.now(),
    }
    return {name: storable(value) for name, value in row.items()}


def storable(value: Any) -> Any:
    """A copy of ``value`` whose strings any database accepts: clients can put NUL bytes and lone
    surrogates in paths, headers and JSON, which PostgreSQL text and jsonb (and SQLite) refuse."""
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


def stored_message(outcome: ErrorOutcome) -> str:
    """The message as sent, but with placeholders filled from the redacted details: a
    ``{api_key}`` in admin text must not smuggle a secret past redaction."""
    if not outcome.details or not outcome.message_template:
        return outcome.message
    return fill_placeholders(outcome.message_template, redact(outcome.details))


def record(request: HttpRequest, outcome: ErrorOutcome) -> bool:
    """Insert the event (one query); on any failure log it and carry on. True if a row was written."""
    if not should_record(outcome):
        return False
    try:
        row = event_row(request, outcome)
    except Exception:  # noqa: BLE001 - auditing must never turn an error into a 500
        logger.exception("errorregistry: cannot build the audit event for request %s", outcome.request_id)
        return False
    alias = audit_alias()
    try:
        if connections[alias].in_atomic_block:
            # Only when a caller wraps us in a transaction: keep a failed write from poisoning it.
            with transaction.atomic(using=alias):
                insert_row(row, alias)
        else:
            insert_row(row, alias)
    except Exception:  # noqa: BLE001
        logger.warning("errorregistry: audit write failed for request %s", outcome.request_id, exc_info=True)
        audit_logger.error(row_as_json(row))
        return False
    return True


def insert_row(row: dict[str, Any], alias: str) -> None:
    """One precompiled INSERT, values prepared by each field as the ORM would.

    ``Model.save()`` costs three times the statement itself (signals, state,
    RETURNING the id nobody reads); an append-only log needs none of it.
    """
    connection = connections[alias]
    sql, fields, prepared = insert_statement(alias, connection.vendor)
    params = [
        field.get_db_prep_save(row[field.attname], connection) if needs_prep else row[field.attname]
        for field, needs_prep in zip(fields, prepared)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# Values of these fields reach every driver as they are (str, int, bool): no per-field preparation.
PLAIN_FIELDS = (models.CharField, models.TextField, models.BooleanField, models.IntegerField)


@lru_cache(maxsize=8)
def insert_statement(alias: str, vendor: str) -> tuple[str, list[Field], list[bool]]:
    """The INSERT for ``alias``, its fields, and which of them need the ORM's value preparation."""
    quote = connections[alias].ops.quote_name
    fields = [field for field in ErrorEvent._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    prepared = [not isinstance(field, PLAIN_FIELDS) for field in fields]
    return f"INSERT INTO {quote(ErrorEvent._meta.db_table)} ({columns}) VALUES ({placeholders})", fields, prepared


def audit_alias() -> str:
    """The database audit rows are written to (and purged from)."""
    return registry_settings.AUDIT_DATABASE or router.db_for_write(ErrorEvent)


def row_as_json(row: dict[str, Any]) -> str:
    """One JSON line with everything but the traceback (which may quote secrets)."""
    return json.dumps({k: v for k, v in row.items() if k != "traceback"}, default=str, sort_keys=True)


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

