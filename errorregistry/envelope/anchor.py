"""A code's anchor on the public reference page: RFC 9457's ``type`` when the code has no docs link."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse


def reference_anchor(code: str) -> str:
    """The code's row on the public reference page (``/api/errors/reference/#code-not_found``),
    or ``about:blank`` when the project does not serve the page."""
    page = reference_page()
    return f"{page}#code-{code}" if page else "about:blank"


def reference_page() -> str:
    """The reference page's URL, reversed once per URLconf and script prefix (``reverse()`` on
    every error response showed up on the error path); "" when the project does not serve it."""
    global _reference_page
    resolver, prefix = get_resolver(get_urlconf()), get_script_prefix()
    last_resolver, last_prefix, page = _reference_page
    if resolver is last_resolver and prefix == last_prefix:
        return page
    try:
        page = reverse("errorregistry:reference")
    except NoReverseMatch:
        page = ""
    _reference_page = (resolver, prefix, page)
    return page


# The resolver (Django makes a new one when the URLconf changes), script prefix and page last seen.
_reference_page: tuple[Any, str, str] = (None, "", "")
