"""The response of a stored error event, rendered again by the configured formatter.

The audit row keeps what the client received field by field (code, status,
message, language, redacted details), not the bytes of the response. Support
still needs to see the body and headers in the envelope the client parses,
so this module rebuilds them from the stored fields; the page says so.
Members the row does not hold (action, retry hints, docs link) come from the
registry entry as it is now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from errorregistry.conf import registry_settings
from errorregistry.envelope.formatters import RenderedError, get_formatter, status_line
from errorregistry.models import ErrorEvent
from errorregistry.registry.store import Entry


@dataclass(frozen=True)
class ReplayedResponse:
    status_line: str
    headers: list[tuple[str, str]]
    body: str


def replay(event: ErrorEvent, entry: Entry | None) -> ReplayedResponse:
    formatter = get_formatter()
    details = dict(event.details or {})
    errors = details.pop("errors", None)
    if entry is not None:
        rendered = RenderedError.from_entry(
            entry,
            code=event.code,
            status=event.http_status,
            message=event.message,
            action=entry.texts(event.language or None)[1],
            request_id=event.request_id,
            details=details,
            errors=errors if isinstance(errors, list) else None,
            instance=event.path,
            language=event.language,
        )
    else:  # the code has since left the registry: only what the row holds
        rendered = RenderedError(
            code=event.code,
            status=event.http_status,
            message=event.message,
            request_id=event.request_id,
            details=details,
            errors=errors if isinstance(errors, list) else None,
            instance=event.path,
            language=event.language,
        )
    body = json.dumps(formatter.format(rendered), indent=2, ensure_ascii=False, default=str)
    headers = [
        ("Content-Type", f"{formatter.content_type}; charset=utf-8"),
        (registry_settings.REQUEST_ID_HEADER, event.request_id),
    ]
    if event.language:
        headers.append(("Content-Language", event.language))
    headers += [("Vary", "Accept-Language"), ("Cache-Control", "private, no-store")]
    if rendered.retry_after is not None:
        headers.append(("Retry-After", str(rendered.retry_after)))
    return ReplayedResponse(status_line(event.http_status), headers, body)
