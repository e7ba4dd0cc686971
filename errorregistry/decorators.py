"""Declare which registry codes a view raises, for the generated docs and OpenAPI schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

RAISES_ATTRIBUTE = "errorregistry_raises"


def raises(*codes: str) -> Callable[[F], F]:
    """Mark a view method (or class) as raising these business codes::

        @raises("insufficient_credits")
        def post(self, request): ...
    """

    def decorate(view: F) -> F:
        existing = tuple(getattr(view, RAISES_ATTRIBUTE, ()))
        setattr(view, RAISES_ATTRIBUTE, existing + tuple(c for c in codes if c not in existing))
        return view

    return decorate
