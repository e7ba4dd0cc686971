"""Keep every process's in-memory registry in step with database writes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from errorregistry.models import ErrorCode, ErrorCodeTranslation
from errorregistry.registry.store import publish_version, registry


@receiver(post_save, sender=ErrorCode)
@receiver(post_delete, sender=ErrorCode)
@receiver(post_save, sender=ErrorCodeTranslation)
@receiver(post_delete, sender=ErrorCodeTranslation)
def registry_changed(sender: type, using: str = "default", **kwargs: Any) -> None:
    """Other threads and processes see the edit once it is committed; the writing thread at once.

    ``note_write`` makes the writing thread read its own transaction's view until it ends;
    after the commit, ``publish`` stamps the shared cache (other processes reload at their
    next check) and makes this process forget what it holds. A rollback shares nothing.
    """
    def publish() -> None:
        registry.committed(published=publish_version())

    registry.note_write(using)
    transaction.on_commit(publish, using=using, robust=True)
