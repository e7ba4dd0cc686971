"""Replace secret-looking values before anything is stored or logged.

A key is secret when its name contains a distinctive fragment (``password``,
``token``, ``session`` …) anywhere, or one of the short, ambiguous fragments
(``key``, ``pin``, ``sig`` …) as a whole word or at the end of one (``x-api-key``,
``pin_code``, ``oauth``, but not ``shipping``). Over-redacting is preferred to leaking.
The verdict per key name is memoised: the same few keys come back on every event.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from errorregistry.conf import registry_settings

# Matched anywhere in the key, after lower-casing and '-' -> '_'.
DEFAULT_SECRET_KEYS = (
    "password",
    "passwd",
    "passphrase",
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
# Matched as a whole word of the key, or the end of one (camelCase and _-. split words).
DEFAULT_SECRET_WORDS = ("jwt", "sig", "pwd", "otp", "pin", "key", "auth")

_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_MEMO_LIMIT = 4096


class SecretMatcher:
    """Decides, once per key name, whether its value must be hidden."""

    def __init__(self, fragments: tuple[str, ...], words: tuple[str, ...]) -> None:
        self.fragments = fragments
        self.words = words
        self._substring = re.compile("|".join(re.escape(f) for f in fragments)) if fragments else None
        self._memo: dict[Any, bool] = {}

    def __call__(self, key: Any) -> bool:
        verdict = self._memo.get(key)
        if verdict is None:
            verdict = self._decide(str(key))
            if len(self._memo) >= _MEMO_LIMIT:  # keys chosen by clients: keep the memo bounded
                self._memo.clear()
            self._memo[key] = verdict
        return verdict

    def _decide(self, key: str) -> bool:
        normalized = key.lower().replace("-", "_")
        if self._substring is not None and self._substring.search(normalized):
            return True
        words = _WORD_SPLIT.split(_CAMEL_BOUNDARY.sub("_", key).lower())
        return any(word.endswith(short) for word in words if word for short in self.words)


_matcher: SecretMatcher | None = None
_matcher_source: object = None


def secret_matcher() -> SecretMatcher:
    """The matcher for the current settings (rebuilt when ``REDACT_KEYS`` changes)."""
    global _matcher, _matcher_source
    extra = registry_settings.REDACT_KEYS
    if _matcher is None or _matcher_source is not extra:
        fragments = DEFAULT_SECRET_KEYS + tuple(k.lower().replace("-", "_") for k in extra)
        _matcher, _matcher_source = SecretMatcher(fragments, DEFAULT_SECRET_WORDS), extra
    return _matcher


def is_secret_key(key: Any) -> bool:
    return secret_matcher()(key)


def redact(value: Any) -> Any:
    """A copy of ``value`` with every secret-looking key's value replaced, at any depth."""
    if not value:
        return {} if isinstance(value, dict) else value
    return _redact(value, secret_matcher(), registry_settings.REDACTION_MARKER)


def _redact(value: Any, is_secret: SecretMatcher, marker: str) -> Any:
    if isinstance(value, dict):
        return {k: marker if is_secret(k) else _redact(v, is_secret, marker) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(item, is_secret, marker) for item in value]
    return value


_QUERY_PAIR_SEPARATOR = re.compile(r"([&;])")


def redact_query_string(query_string: str) -> str:
    """The query string with secret parameters' values replaced; ``&`` and ``;`` both separate
    pairs (as many servers and frameworks read them), and everything else stays as sent."""
    if not query_string:
        return ""
    is_secret = secret_matcher()
    marker = quote_plus(registry_settings.REDACTION_MARKER)
    parts = _QUERY_PAIR_SEPARATOR.split(query_string)
    for index in range(0, len(parts), 2):
        name, equals, _value = parts[index].partition("=")
        if equals and is_secret(_unquote(name)):
            parts[index] = f"{name}={marker}"
    return "".join(parts)


def _unquote(name: str) -> str:
    return unquote_plus(name) if ("%" in name or "+" in name) else name
