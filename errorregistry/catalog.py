"""Kept for ``from errorregistry.catalog import Declaration`` (the README's path); the
declarations live in ``errorregistry.registry.declarations``."""

from errorregistry.registry.declarations import BUILTIN_CODES, Declaration

__all__ = ["BUILTIN_CODES", "Declaration"]
