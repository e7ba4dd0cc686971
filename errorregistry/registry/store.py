"""The read side of the registry: every active code and its texts, held in process memory.

A version stamp in Django's cache framework is bumped by every committed write;
each process re-checks it at most once per ``RELOAD_INTERVAL`` and reloads the
whole registry (two queries) when it changed, or when what it holds is older than
``MAX_STALENESS`` (the bound when the shared cache is down and no stamp travels).
Looking a code up is then a dict access: no database, no cache.

Only committed state is shared: a thread whose open transaction wrote a registry row
reads the registry privately (its own view, uncommitted edits included) until that
transaction ends, and never stores that view where other threads read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import DatabaseError, transaction
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
        self._loaded_at = float("-inf")
        # Per thread (a database connection is per thread): the aliases whose open
        # transaction wrote a registry row, and whether this thread's last publish failed.
        self._local = threading.local()

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
            self._loaded_at = float("-inf")
        self._forget_own_write()

    def note_write(self, using: str) -> None:
        """A registry row changed in this thread's transaction on ``using``: until it ends, this
        thread reads the registry privately. Outside a transaction (autocommit) the row is
        already committed: everyone forgets at once."""
        if transaction.get_autocommit(using):
            return  # committed already: ``transaction.on_commit`` runs ``committed()`` at once
        self._pending_here().add(using)

    def committed(self, published: bool = True) -> None:
        """A registry write committed (``transaction.on_commit``): forget, for every thread."""
        self.invalidate()
        self._local.publish_failed = not published

    def last_publish_failed(self) -> bool:
        """True when this thread's last committed write could not stamp the shared cache."""
        return getattr(self._local, "publish_failed", False)

    # -- internals ------------------------------------------------------

    def _forget_own_write(self) -> None:
        self._local.pending = set()

    def _pending_here(self) -> set[str]:
        pending = getattr(self._local, "pending", None)
        if pending is None:
            pending = self._local.pending = set()
        return pending

    def _in_own_write(self) -> bool:
        """This thread's transaction wrote a registry row and is still open. Once it ended
        without ``committed()`` running, it rolled back: nothing was shared, nothing to forget."""
        pending = getattr(self._local, "pending", None)
        if not pending:
            return False
        for using in list(pending):
            if transaction.get_autocommit(using):
                pending.discard(using)
        return bool(pending)

    def _current(self) -> dict[str, Entry]:
        if self._in_own_write():
            # This transaction's view, its own edits included, for this thread only: read anew on
            # each lookup (the transaction may have ended in a rollback and a new one begun), for
            # the rest of a transaction that wrote to the registry, which is rare (admin, sync).
            loaded = load_entries()
            return loaded if loaded is not None else dict(self._entries or {})
        now = time.monotonic()
        entries = self._entries
        if (
            entries is not None
            and now - self._checked_at < registry_settings.RELOAD_INTERVAL
            and now - self._loaded_at < registry_settings.MAX_STALENESS
        ):
            return entries
        if not self._lock.acquire(blocking=entries is None):
            return entries  # another thread is refreshing: serve what we have rather than wait on I/O
        try:
            stale = now - self._loaded_at >= registry_settings.MAX_STALENESS
            if self._entries is not None and now - self._checked_at < registry_settings.RELOAD_INTERVAL and not stale:
                return self._entries
            try:
                shared_version = read_shared_version()
            except Exception:  # noqa: BLE001 - a cache outage must never fail an error response
                logger.warning("errorregistry: cannot read the registry version from the cache", exc_info=True)
                shared_version = self._version if self._entries is not None else None
            if self._entries is None or shared_version != self._version or stale:
                loaded = load_entries()
                if loaded is not None:
                    self._entries = loaded
                    self._version = shared_version
                    self._content_version = content_version(loaded)
                    self._loaded_at = time.monotonic()
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


def publish_version() -> bool:
    """Store a new version stamp so that every process reloads at its next check.

    False when the cache is down: other processes then see the edit within ``MAX_STALENESS``.
    """
    try:
        _cache().set(VERSION_CACHE_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # noqa: BLE001
        logger.warning("errorregistry: cannot publish the registry version to the cache", exc_info=True)
        return False
    return True


registry = Registry()


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting in ("ERROR_REGISTRY", "LANGUAGE_CODE", "CACHES"):
        registry.invalidate()
