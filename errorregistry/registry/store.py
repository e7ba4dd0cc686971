"""The read side of the registry: every active code and its texts, held in process memory.

A version stamp in Django's cache framework is bumped by every write; each
process re-checks it at most once per ``RELOAD_INTERVAL`` and reloads the
whole registry (two queries) only when it changed. Looking a code up is then a
dict access: no database, no cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import DatabaseError, connections
from django.dispatch import receiver
from django.utils import translation

from errorregistry.conf import registry_settings
from errorregistry.registry.declarations import (
    CONTRACT_FIELDS,
    REGISTRY_FIELDS,
    CodeContract,
    Declaration,
    declared_codes,
)

logger = logging.getLogger("errorregistry")

VERSION_CACHE_KEY = "errorregistry:registry-version"


@dataclass(frozen=True)
class Entry(CodeContract):
    """An immutable snapshot of one code, safe to share between threads."""

    audit_policy: str = "always"
    audit_sample_rate: float = 1.0
    translations: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    is_active: bool = True
    from_database: bool = False
    # texts() per (requested language, LANGUAGE_CODE): the same few languages ask on every error.
    _texts: dict[tuple[str | None, str], tuple[str, str, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def from_declaration(cls, declaration: Declaration) -> Entry:
        contract = declaration.as_fields()
        contract.update(message=default_text(declaration.message), action=default_text(declaration.action))
        return cls(
            code=declaration.code,
            **contract,
            translations={
                language: (default_text(message), default_text(action))
                for language, (message, action) in declaration.translations.items()
            },
        )

    @classmethod
    def from_row(cls, row: Any, translations: Mapping[str, tuple[str, str]]) -> Entry:
        """An ``ErrorCode`` row and its translations (language -> (message, action))."""
        return cls(
            code=row.code,
            **{name: getattr(row, name) for name in (*CONTRACT_FIELDS, *REGISTRY_FIELDS)},
            translations=translations,
            from_database=True,
        )

    def texts(self, language: str | None) -> tuple[str, str, str]:
        """(message, action, language used for the message) with independent fallbacks.

        ``fr-ca`` -> ``fr`` -> ``LANGUAGE_CODE`` -> the code's default text.
        """
        key = (language, settings.LANGUAGE_CODE)
        texts = self._texts.get(key)
        if texts is None:
            if len(self._texts) >= 64:  # languages come from clients: keep the memo small
                self._texts.clear()
            texts = self._texts[key] = self._choose_texts(language)
        return texts

    def _choose_texts(self, language: str | None) -> tuple[str, str, str]:
        message = action = None
        message_language = None
        for candidate in language_chain(language):
            translated = self.translations.get(candidate)
            if not translated:
                continue
            if message is None and translated[0]:
                message, message_language = translated[0], candidate
            if action is None and translated[1]:
                action = translated[1]
            if message is not None and action is not None:
                break
        default_language = settings.LANGUAGE_CODE.lower()
        return (
            message if message is not None else self.message,
            action if action is not None else self.action,
            message_language or default_language,
        )


def default_text(text: str) -> str:
    """A declaration's text as a plain string; a lazy one is resolved in ``LANGUAGE_CODE``,
    whatever language the request that first loads the registry happens to use."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def language_chain(language: str | None) -> list[str]:
    chain: list[str] = []
    if language:
        language = language.lower().replace("_", "-")
        chain.append(language)
        base = language.split("-")[0]
        if base != language:
            chain.append(base)
    default = settings.LANGUAGE_CODE.lower()
    for candidate in (default, default.split("-")[0]):
        if candidate not in chain:
            chain.append(candidate)
    return chain


class Registry:
    """Process-wide cache of the registry, refreshed from a shared version stamp."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] | None = None
        self._declared: dict[str, Entry] | None = None
        self._version: str | None = None
        self._content_version: str | None = None
        self._checked_at = float("-inf")
        self._pending_write: tuple[str, Callable[[], None], int] | None = None

    # -- public API -----------------------------------------------------

    def get(self, code: str) -> Entry | None:
        """The entry for ``code`` (database first, then declarations), or None."""
        entries = self._current()
        entry = entries.get(code)
        if entry is None:
            entry = self.declared().get(code)
        return entry

    def all(self) -> dict[str, Entry]:
        """Every active code: declarations overlaid by the database."""
        merged = dict(self.declared())
        merged.update(self._current())
        return {code: entry for code, entry in merged.items() if entry.is_active}

    @property
    def version(self) -> str:
        """The shared stamp; before any write has published one, a digest of what is loaded."""
        self._current()
        return self._version or self._content_version or "local"

    def declared(self) -> dict[str, Entry]:
        declared = self._declared
        if declared is None:
            # Built in a local first: another thread may invalidate() meanwhile.
            declared = {code: Entry.from_declaration(d) for code, d in declared_codes().items()}
            self._declared = declared
        return declared

    def invalidate(self) -> None:
        """Forget everything; the next lookup reloads (used by this process after a write)."""
        with self._lock:
            self._entries = None
            self._declared = None
            self._version = None
            self._content_version = None
            self._checked_at = float("-inf")

    # -- internals ------------------------------------------------------

    def note_write(self, using: str, on_commit: Callable[[], None]) -> None:
        """A registry row changed inside the transaction that will run ``on_commit``.

        Forget what we hold now. Should that transaction roll back, Django drops
        ``on_commit`` from its queue unrun; the writing thread's next lookup notices
        and forgets what it loaded inside the transaction.
        """
        self._pending_write = (using, on_commit, threading.get_ident())
        self.invalidate()

    def _writer_transaction_ended(self) -> bool:
        """True in the writing thread once its transaction committed or rolled back."""
        using, callback, thread = self._pending_write
        if thread != threading.get_ident():
            return False
        return not any(queued[1] is callback for queued in connections[using].run_on_commit)

    def _current(self) -> dict[str, Entry]:
        if self._pending_write is not None and self._writer_transaction_ended():
            # Committed (the callback ran) or rolled back (it was dropped): either way, what we
            # loaded while the write was pending may never have been true.
            self._pending_write = None
            self.invalidate()
        now = time.monotonic()
        entries = self._entries
        if entries is not None and now - self._checked_at < registry_settings.RELOAD_INTERVAL:
            return entries
        if not self._lock.acquire(blocking=entries is None):
            return entries  # another thread is refreshing: serve what we have rather than wait on I/O
        try:
            if self._entries is not None and now - self._checked_at < registry_settings.RELOAD_INTERVAL:
                return self._entries
            try:
                shared_version = read_shared_version()
            except Exception:  # noqa: BLE001 - a cache outage must never fail an error response
                logger.warning("errorregistry: cannot read the registry version from the cache", exc_info=True)
                shared_version = self._version if self._entries is not None else None
            if self._entries is None or shared_version != self._version:
                loaded = load_entries()
                if loaded is not None:
                    self._entries = loaded
                    self._version = shared_version
                    self._content_version = content_version(loaded)
                elif self._entries is None:
                    self._entries = {}
            # Counted from the end of the check, so a slow cache cannot make every request pay for it.
            self._checked_at = time.monotonic()
            return self._entries
        finally:
            self._lock.release()


def load_entries() -> dict[str, Entry] | None:
    """Read every code and its translations: two queries. None if the table is unreachable."""
    from errorregistry.models import ErrorCode, ErrorCodeTranslation

    try:
        codes = list(ErrorCode.objects.all())
        translations: dict[int, dict[str, tuple[str, str]]] = {}
        for text in ErrorCodeTranslation.objects.only("error_code_id", "language", "message", "action"):
            translations.setdefault(text.error_code_id, {})[text.language.lower()] = (text.message, text.action)
    except DatabaseError:
        logger.warning("errorregistry: registry table unreachable; answering from declared codes", exc_info=True)
        return None
    return {row.code: Entry.from_row(row, translations.get(row.pk, {})) for row in codes}


def _cache():
    return caches[registry_settings.CACHE_ALIAS]


def read_shared_version() -> str | None:
    """The shared version stamp; None until a write publishes one. Raises if the cache is down.

    A read only: the stamp is written by ``publish_version`` alone.
    """
    return _cache().get(VERSION_CACHE_KEY)


def content_version(entries: Mapping[str, Entry]) -> str:
    """A digest of the loaded registry, the same in every process reading the same rows: the
    version of a registry no write has stamped yet (or whose stamp the cache lost)."""
    canonical = [
        [entry.code, entry.as_fields(), [getattr(entry, name) for name in REGISTRY_FIELDS],
         sorted(entry.translations.items())]
        for _, entry in sorted(entries.items())
    ]
    return hashlib.sha256(json.dumps(canonical, default=str).encode()).hexdigest()[:32]


def publish_version() -> None:
    """Store a new version stamp so that every process reloads at its next check."""
    try:
        _cache().set(VERSION_CACHE_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # noqa: BLE001
        logger.warning("errorregistry: cannot publish the registry version to the cache", exc_info=True)


registry = Registry()


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting in ("ERROR_REGISTRY", "LANGUAGE_CODE", "CACHES"):
        registry.invalidate()
