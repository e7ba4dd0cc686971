"""errorregistry: one stable, documented, supportable way for a DRF API to fail.

The package root stays free of Django imports so that ``from errorregistry
import ApiError`` works anywhere, even before the app registry is ready.
"""

__version__ = "0.1.0"

__all__ = ["ApiError", "__version__", "flush_audit"]


def __getattr__(name: str):
    if name == "ApiError":
        from errorregistry.exceptions import ApiError

        return ApiError
    if name == "flush_audit":
        from errorregistry.audit import flush_audit

        return flush_audit
    raise AttributeError(f"module 'errorregistry' has no attribute {name!r}")
