"""Replace secret-looking values before anything is stored or logged."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from errorregistry.conf import registry_settings

DEFAULT_SECRET_KEYS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "cookie",
    "session",
    "csrf",
    "credential",
    "private_key",
    "signature",
    "card_number",
    "cvv",
)


def secret_keys() -> tuple[str, ...]:
    return DEFAULT_SECRET_KEYS + tuple(k.lower() for k in registry_settings.REDACT_KEYS)


def is_secret_key(key: Any, keys: tuple[str, ...] | None = None) -> bool:
    normalized = str(key).lower().replace("-", "_")
    return any(fragment in normalized for fragment in (keys or secret_keys()))


def redact(value: Any, keys: tuple[str, ...] | None = None) -> Any:
    """A copy of ``value`` with every secret-looking key's value replaced, at any depth."""
    keys = keys or secret_keys()
    marker = registry_settings.REDACTION_MARKER
    if isinstance(value, dict):
        return {k: marker if is_secret_key(k, keys) else redact(v, keys) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item, keys) for item in value]
    return value


def redact_query_string(query_string: str) -> str:
    if not query_string:
        return ""
    keys = secret_keys()
    marker = registry_settings.REDACTION_MARKER
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return urlencode([(k, marker if is_secret_key(k, keys) else v) for k, v in pairs])
