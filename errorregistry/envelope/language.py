"""Which of ``settings.LANGUAGES`` a response speaks.

Two rules: an error response, private to one client, follows the client (``?lang=``,
LocaleMiddleware, the language cookie, ``Accept-Language``); a public, cacheable page
(the catalog, the reference) follows only what a shared cache can see (``?lang=``,
``Accept-Language``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header


def client_language(request: HttpRequest, requested: str | None = None) -> str:
    """The client's language among ``settings.LANGUAGES``.

    An explicit choice (``?lang=``) wins when it is supported; then, if LocaleMiddleware
    ran, the active language (LocaleMiddleware's choice, or what the project activated after
    it, e.g. a user-preference middleware: field messages are in that language too); then
    Django's own choice from the language cookie and the Accept-Language header
    (remembered per header value: parsing it on every error response costs more than the
    rest of the choice).
    """
    if requested:
        supported = supported_language(requested)
        if supported:
            return supported
    language = getattr(request, "LANGUAGE_CODE", None)
    if language:
        active = translation.get_language()
        return (supported_language(active) if active else None) or language
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return translation.get_language_from_request(request) or settings.LANGUAGE_CODE
    accept = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    language = _language_by_accept_header.get(accept)
    if language is None:
        language = translation.get_language_from_request(request) or settings.LANGUAGE_CODE
        if len(_language_by_accept_header) >= 1024:  # headers are the client's to choose
            _language_by_accept_header.clear()
        _language_by_accept_header[accept] = language
    return language


_language_by_accept_header: dict[str, str] = {}


@receiver(setting_changed)
def _forget_languages(*, setting: str, **kwargs: Any) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LANGUAGE_COOKIE_NAME"):
        _language_by_accept_header.clear()
        _spelling.clear()


def public_language(request: HttpRequest, requested: str | None) -> str:
    """``?lang=``, else ``Accept-Language``, else ``LANGUAGE_CODE``: never the language cookie or session.

    These responses are public and cacheable and vary on ``Accept-Language``
    only; a language read from a cookie (``LANGUAGE_COOKIE_NAME``) would let a
    shared cache serve one visitor's language to everyone.
    """
    if requested:
        supported = supported_language(requested)
        if supported:
            return supported
    for accepted, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if accepted == "*":
            break
        supported = supported_language(accepted)
        if supported:
            return supported
    return supported_language(settings.LANGUAGE_CODE) or settings.LANGUAGE_CODE


def as_django_spells_it(language: str) -> str:
    """``en-us`` -> ``en-US`` when ``settings.LANGUAGES`` spells it so: ``Content-Language`` as
    LocaleMiddleware writes it on the project's other responses."""
    spelled = _spelling.get(language)
    if spelled is None:
        lowered = language.lower()
        spelled = next((code for code, _name in settings.LANGUAGES if code.lower() == lowered), language)
        if len(_spelling) < 1024:
            _spelling[language] = spelled
    return spelled


_spelling: dict[str, str] = {}


def supported_language(requested: str) -> str | None:
    """The best of ``settings.LANGUAGES`` for ``requested`` (``fr-ca`` -> ``fr``), or None."""
    try:
        return translation.get_supported_language_variant(requested.strip().lower()[:15])
    except LookupError:
        return None
