"""Kept for ``"ENVELOPE": "..."`` formatters subclassing ``errorregistry.formatters.BaseFormatter``;
the formatters live in ``errorregistry.envelope.formatters``."""

from errorregistry.envelope.formatters import BaseFormatter, RenderedError

__all__ = ["BaseFormatter", "RenderedError"]
