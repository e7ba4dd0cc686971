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
    """This process sees the edit at once; others after the commit, at their next version check.

    Two forgettings, for two audiences: ``note_write`` now, for the writing thread (which also
    forgets again once its transaction ends, committed or not); ``publish`` after the commit, for
    this process's other threads, which may have reloaded the old rows meanwhile and would
    otherwise wait for their next version check.
    """
    def publish() -> None:
        publish_version()
        registry.invalidate()

    transaction.on_commit(publish, using=using, robust=True)
    registry.note_write(using, publish)
