"""A code's anchor on the public reference page: RFC 9457's ``type`` when the code has no docs link."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language


def reference_anchor(code: str) -> str:
    """The code's row on the public reference page (``/api/errors/reference/#code-not_found``),
    or ``about:blank`` when the project does not serve the page."""
    page = reference_page()
    return f"{page}#code-{code}" if page else "about:blank"


def reference_page() -> str:
    """The reference page's URL, reversed once per URLconf and script prefix (``reverse()`` on
    every error response showed up on the error path); "" when the project does not serve it."""
    global _reference_page
    # The active language too: under i18n_patterns or translated paths each language has its URL.
    key = (get_resolver(get_urlconf()), get_script_prefix(), get_language())
    last_key, page = _reference_page
    if len(key) == len(last_key) and all(a is b or a == b for a, b in zip(key, last_key)):
        return page
    try:
        page = reverse("errorregistry:reference")
    except NoReverseMatch:
        page = ""
    _reference_page = (key, page)
    return page


# What the page was last reversed under (the resolver object: Django makes a new one when the
# URLconf changes; the script prefix; the language) and the page.
_reference_page: tuple[tuple[Any, ...], str] = ((), "")
