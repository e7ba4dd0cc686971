"""Envelope templates: the envelope written as it looks, filled from one rendered error.

A template is JSON-like data. A string value ``"$source"`` is replaced by that value of
the error, ``"$a|$b"`` takes the first non-empty of the two, a trailing ``!`` (``"$action!"``)
keeps the member even when it comes out empty; every other value is a constant. A member
whose value comes out empty (None, "", {}, []) is left out; constants always stay. The
presets are templates too (``preset_template``), so one renderer, one schema builder and one
set of docs serve every envelope.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter, methodcaller
from typing import TYPE_CHECKING, Any

from rest_framework.settings import api_settings

if TYPE_CHECKING:
    from errorregistry.envelope.formatters import RenderedError

SOURCES: tuple[str, ...] = (
    "code", "message", "request_id", "status", "title", "type", "instance", "details", "field_errors",
    "action", "retryable", "retry_after", "docs_url", "category", "language", "trace_id",
)
FIELD_ERROR_SOURCES: tuple[str, ...] = ("field", "pointer", "code", "message")
DEFAULT_FIELD_ERRORS: dict[str, str] = {"field": "$field", "code": "$code", "message": "$message"}
OPTIONAL_MEMBERS = ("action", "retryable", "retry_after", "docs_url")
EMPTY: tuple[Any, ...] = (None, "", {}, [])


@dataclass(frozen=True)
class Expression:
    """One ``"$a|$b!"`` value: the sources tried in order, and whether an empty result stays."""

    sources: tuple[str, ...]
    keep_empty: bool = False


def parse_expression(value: str) -> Expression | None:
    """The expression in ``value``, or None when ``value`` is a constant (it does not start with ``$``)."""
    if not value.startswith("$"):
        return None
    keep_empty = value.endswith("!")
    body = value[:-1] if keep_empty else value
    return Expression(tuple(part.strip().removeprefix("$") for part in body.split("|")), keep_empty)


def is_empty(value: Any) -> bool:
    """None, "", {} or [] (exactly those types: 0 and False are values)."""
    return value is None or (type(value) in _EMPTY_TYPES and not value)


_EMPTY_TYPES = frozenset(type(empty) for empty in EMPTY if empty is not None)

# A compiled template: what the values are read from in, the filled body out.
Filler = Callable[[Any], Any]
# How a compiled template reads one source from what it is given: ``getter(source)(given)``.
Getter = Callable[[str], Callable[[Any], Any]]


def call_values(source: str) -> Callable[[Callable[[str], Any]], Any]:
    """The default getter: the template is given a ``values`` function and calls ``values(source)``."""
    return methodcaller("__call__", source)


def compile_template(template: Any, *, drop_empty: bool = True, getter: Getter = call_values) -> Filler:
    """``template`` parsed once into a function: the error path fills, it never parses.

    The function is given what the values are read from (by default a ``values`` function, and
    ``values(source)`` gives a source's value; ``getter`` says otherwise, e.g. attributes of the
    error). An expression takes the first non-empty of its sources; with ``drop_empty`` a member
    that comes out empty is left out, unless it is a constant or ends in ``!``."""
    if isinstance(template, Mapping):
        # A member that is one "$source" is read directly; anything else is filled by its own
        # compiled function. The emptiness test is written out: the error path calls no helper.
        members = tuple(
            (key, getter(source) if (source := _single_source(member)) is not None else None,
             compile_template(member, drop_empty=drop_empty, getter=getter),
             not drop_empty or _constant(member) or _keeps_empty(member))
            for key, member in template.items()
        )

        def fill_mapping(given: Any) -> dict[str, Any]:
            out = {}
            for key, get, fill_member, always in members:
                value = get(given) if get is not None else fill_member(given)
                if always or not (value is None or (type(value) in _EMPTY_TYPES and not value)):
                    out[key] = value
            return out

        return fill_mapping
    if isinstance(template, list):
        items = tuple(compile_template(item, drop_empty=drop_empty, getter=getter) for item in template)
        return lambda given: [fill_item(given) for fill_item in items]
    expression = parse_expression(template) if isinstance(template, str) else None
    if expression is None:
        return lambda given: template
    *firsts, last = (getter(source) for source in expression.sources)
    if not firsts:
        return last

    def fill_first_non_empty(given: Any) -> Any:
        for get in firsts:
            value = get(given)
            if not is_empty(value):
                return value
        return last(given)

    return fill_first_non_empty


def _single_source(member: Any) -> str | None:
    """The source of a member written as one ``"$source"`` (or ``"$source!"``), else None."""
    expression = parse_expression(member) if isinstance(member, str) else None
    if expression is None or len(expression.sources) != 1:
        return None
    return expression.sources[0]


def fill(template: Any, values: Callable[[str], Any], *, drop_empty: bool = True) -> Any:
    """``template`` with every expression replaced by ``values(source)``; empty members dropped.
    (Once; a formatter compiles its template with ``compile_template`` and fills that.)"""
    return compile_template(template, drop_empty=drop_empty)(values)


def _constant(member: Any) -> bool:
    """A member written as a constant (no expression anywhere in it) always stays."""
    return not expressions(member)


def _keeps_empty(member: Any) -> bool:
    expression = parse_expression(member) if isinstance(member, str) else None
    return bool(expression and expression.keep_empty)


def expressions(template: Any) -> list[Expression]:
    """Every expression in ``template``, in document order."""
    if isinstance(template, Mapping):
        return [e for member in template.values() for e in expressions(member)]
    if isinstance(template, list):
        return [e for item in template for e in expressions(item)]
    if isinstance(template, str):
        expression = parse_expression(template)
        return [expression] if expression else []
    return []


def source_of(template: Any, key: str) -> str | None:
    """The first source of the member named ``key`` anywhere in ``template`` (``trace_id`` -> ``request_id``)."""
    if isinstance(template, Mapping):
        for name, member in template.items():
            expression = parse_expression(member) if isinstance(member, str) else None
            if name == key and expression is not None:
                return expression.sources[0]
        for member in template.values():
            found = source_of(member, key)
            if found:
                return found
    return None


def member_of(template: Any, source: str, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Where ``source`` is placed: ``("error", "trace_id")`` for ``$request_id`` in seed 001's template."""
    if isinstance(template, Mapping):
        for name, member in template.items():
            expression = parse_expression(member) if isinstance(member, str) else None
            if expression is not None and source in expression.sources:
                return (*path, name)
            found = member_of(member, source, (*path, name))
            if found:
                return found
    return None


def uses(template: Any, source: str) -> bool:
    return any(source in expression.sources for expression in expressions(template))


def template_problems(template: Any, known: tuple[str, ...] = SOURCES) -> list[str]:
    """What is wrong with ``template``: not JSON data, or a source it names that does not exist."""
    try:
        json.dumps(template, allow_nan=False)
    except (TypeError, ValueError) as error:
        return [f"it is not JSON-serialisable ({error})"]
    problems = []
    for expression in expressions(template):
        for source in expression.sources:
            if source not in known:
                problems.append(f"unknown source ${source} (known: {', '.join('$' + s for s in known)})")
    return problems


# -- field errors ---------------------------------------------------------------------


def json_pointer(field: str | None) -> str:
    """RFC 6901 pointer of a dot path: ``items.0.qty`` -> ``/items/0/qty``; the body itself is ``""``."""
    if not field:
        return ""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in field.split("."))


class FieldErrorLayout:
    """A field-error layout compiled once: ``"map"`` -> ``{"dot.path": "message"}`` (messages of one
    field joined by a space; errors not tied to a field under DRF's non-field key), else a list
    of ``layout`` items. Item members stay even when empty: a non-field error has ``field: null``."""

    def __init__(self, layout: Any) -> None:
        self.layout = layout
        self.fill_item = None if layout == "map" else compile_template(layout, drop_empty=False, getter=_field_error_getter)

    def __call__(self, errors: list[dict[str, Any]] | None) -> Any:
        if not errors:
            return None
        if self.fill_item is None:
            mapped: dict[str, str] = {}
            for error in errors:
                key = error["field"] or api_settings.NON_FIELD_ERRORS_KEY
                mapped[key] = f"{mapped[key]} {error['message']}" if key in mapped else error["message"]
            return mapped
        return [self.fill_item(error) for error in errors]


def layout_field_errors(errors: list[dict[str, Any]] | None, layout: Any) -> Any:
    """The field errors as ``layout`` says (see ``FieldErrorLayout``)."""
    return FieldErrorLayout(layout)(errors)


def _field_error_getter(source: str) -> Callable[[Mapping[str, Any]], Any]:
    """How a field-error item reads ``source`` from one field error (a dict)."""
    if source == "pointer":
        return lambda error: json_pointer(error["field"])
    return methodcaller("get", source)


# -- an envelope, compiled --------------------------------------------------------------


class CompiledEnvelope:
    """An envelope template and its field-error layout, parsed once per formatter.

    ``fill_error(error)`` reads the error's attributes directly; ``fill(values(error))`` goes
    through a ``values`` function, for formatters that add sources of their own."""

    def __init__(self, template: Any, field_layout: Any) -> None:
        self.template = template
        self.fill_error = compile_template(template, getter=self._error_getter)
        self.field_errors = FieldErrorLayout(field_layout)
        # Field errors are never dropped: without a $field_errors member they go under $details.
        self.details_carry_field_errors = not uses(template, "field_errors")

    @cached_property
    def fill(self) -> Filler:
        """The template compiled for a ``values`` function (built on first use: most formatters never use it)."""
        return compile_template(self.template)

    def values(self, error: RenderedError) -> Callable[[str], Any]:
        """Source name -> value for ``error``."""

        def value(source: str) -> Any:
            return self._error_getter(source)(error)

        return value

    def _error_getter(self, source: str) -> Callable[[RenderedError], Any]:
        if source == "field_errors":
            return self._field_errors
        if source == "details":
            return self._details
        return attrgetter(source)

    def _field_errors(self, error: RenderedError) -> Any:
        return self.field_errors(error.errors) if error.errors else None

    def _details(self, error: RenderedError) -> dict[str, Any]:
        details = dict(error.details)
        if error.errors and self.details_carry_field_errors:
            details["errors"] = self.field_errors(error.errors)
        return details


# -- the presets ------------------------------------------------------------------------


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def preset_template(preset: str, key_style: str = "snake", optional_members: tuple[str, ...] = ()) -> dict[str, Any]:
    """The template of a preset, with the key style and optional members applied (today's bodies)."""

    def key(name: str) -> str:
        return camel(name) if key_style == "camel" else name

    optional = {key(m): f"${m}!" for m in OPTIONAL_MEMBERS if m in optional_members}
    if preset == "problem":
        return {
            "type": "$type", "title": "$title", "status": "$status", "detail": "$message", "instance": "$instance!",
            "code": "$code", key("request_id"): "$request_id", **optional,
            "errors": "$field_errors", "details": "$details",
        }
    if preset == "drf-standardized-errors":
        return {"type": "$error_type", "errors": "$errors"}
    error_object = {"code": "$code", "message": "$message", key("request_id"): "$request_id", **optional, "details": "$details"}
    if preset == "detail":
        return {"detail": error_object}
    if preset == "status":
        return {"status": "error", "data": None, "error": error_object}
    return {"error": error_object}
