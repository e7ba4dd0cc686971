"""The JSON Schema (draft 2020-12) of each envelope preset: the ``*.json`` files beside this module.

The files describe snake_case keys; the camelCase variant is derived by
renaming the declared member names exactly as the formatters do, so the two
can never drift apart::

    from errorregistry.schemas import envelope_schema
    jsonschema.validate(response.json(), envelope_schema("problem", "camel"))
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from errorregistry.envelope.formatters import PRESETS, camel

SCHEMA_DIR = Path(__file__).resolve().parent
KEY_STYLES = ("snake", "camel")


def envelope_schema(preset: str, key_style: str = "snake") -> dict[str, Any]:
    """A fresh copy of the schema of ``preset`` ("error", "detail", "status", "problem") in ``key_style``."""
    if preset not in PRESETS:
        raise ValueError(f"Unknown envelope preset {preset!r}; choose one of {', '.join(PRESETS)}.")
    if key_style not in KEY_STYLES:
        raise ValueError(f"Unknown key style {key_style!r}; choose 'snake' or 'camel'.")
    return copy.deepcopy(_load(preset, key_style))


@lru_cache(maxsize=None)
def _load(preset: str, key_style: str) -> dict[str, Any]:
    schema = json.loads((SCHEMA_DIR / f"{preset}.json").read_text(encoding="utf-8"))
    return _camel_keys(schema) if key_style == "camel" else schema


def _camel_keys(node: Any) -> Any:
    """Rename declared member names (``properties`` keys and ``required`` entries), nothing else."""
    if isinstance(node, list):
        return [_camel_keys(item) for item in node]
    if not isinstance(node, dict):
        return node
    renamed: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            renamed[key] = {camel(name): _camel_keys(member) for name, member in value.items()}
        elif key == "required" and isinstance(value, list):
            renamed[key] = [camel(name) for name in value]
        else:
            renamed[key] = _camel_keys(value)
    return renamed
