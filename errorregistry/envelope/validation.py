"""Flatten DRF's nested validation errors into one list of field errors with dot paths."""

from __future__ import annotations

from typing import Any

from rest_framework.settings import api_settings


def field_errors(detail: Any) -> list[dict[str, Any]]:
    """Every error in ``detail``, each as ``{"field": "items.0.qty" | None, "code": ..., "message": ...}``.

    Handles nested serializers, ``many=True`` lists (index 0 included, valid
    items skipped), DRF 3.18's dict-keyed list errors, and non-field errors
    (``field`` is the enclosing path, or None at the top).
    """
    errors: list[dict[str, Any]] = []
    _walk(detail, [], errors)
    return errors


def _walk(detail: Any, path: list[str], errors: list[dict[str, Any]]) -> None:
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                _walk(value, path, errors)
            else:
                _walk(value, [*path, str(key)], errors)
    elif isinstance(detail, (list, tuple)):
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list, tuple)):
                _walk(item, [*path, str(index)], errors)
            else:
                _walk(item, path, errors)
    elif detail is not None:
        errors.append(
            {
                "field": ".".join(path) or None,
                "code": getattr(detail, "code", None) or "invalid",
                "message": str(detail),
            }
        )
