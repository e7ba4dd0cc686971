"""System checks with stable ids: a misconfiguration is reported at startup, with how to fix it."""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from django.core.checks import CheckMessage, Error, Tags, Warning, register

HANDLER = "errorregistry.handlers.exception_handler"
MIDDLEWARE = "errorregistry.middleware.RequestIdMiddleware"
LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


@register(Tags.compatibility)
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from errorregistry.conf import registry_settings

    messages: list[CheckMessage] = []
    handler = getattr(settings, "REST_FRAMEWORK", {}).get("EXCEPTION_HANDLER")
    if not runs_our_handler(handler):
        messages.append(
            Warning(
                "DRF's exception handler is not errorregistry's: DRF errors will not use the envelope.",
                hint=f'Set REST_FRAMEWORK["EXCEPTION_HANDLER"] = "{HANDLER}".',
                id="errorregistry.W001",
            )
        )
    if MIDDLEWARE not in settings.MIDDLEWARE:
        messages.append(
            Warning(
                "RequestIdMiddleware is not installed: no X-Request-Id header, no audit, "
                "and non-DRF failures under the API prefixes keep Django's HTML pages.",
                hint=f'Add "{MIDDLEWARE}" near the top of MIDDLEWARE.',
                id="errorregistry.W002",
            )
        )
    backend = settings.CACHES.get(registry_settings.CACHE_ALIAS, {}).get("BACKEND", "")
    if backend in LOCAL_CACHES and not settings.DEBUG:
        messages.append(
            Warning(
                f"The '{registry_settings.CACHE_ALIAS}' cache is local to each process: "
                "registry edits made in the admin will not reach other workers.",
                hint="Use a shared cache (Redis, Memcached, database or file-based) or set "
                'ERROR_REGISTRY["CACHE_ALIAS"] to one.',
                id="errorregistry.W003",
            )
        )
    messages.extend(check_formatter_settings(registry_settings))
    messages.extend(check_dotted_paths(registry_settings))
    messages.extend(check_audit(registry_settings))
    messages.extend(check_envelope(registry_settings))
    messages.extend(check_reference(registry_settings))
    return messages


def runs_our_handler(handler: Any) -> bool:
    """The configured handler is ours, or a function that calls ours (directly, through
    ``functools.wraps``, or by running an ``ExceptionHandler`` subclass): compared as objects,
    not as dotted-path strings."""
    from errorregistry.handler import ExceptionHandler, exception_handler

    if isinstance(handler, str):
        try:
            handler = import_string(handler)
        except ImportError:
            return False

    def ours(value: Any) -> bool:
        return value is exception_handler or (isinstance(value, type) and issubclass(value, ExceptionHandler))

    seen: set[int] = set()
    while handler is not None and id(handler) not in seen:
        seen.add(id(handler))
        if ours(handler):
            return True
        try:
            references = inspect.getclosurevars(handler)
        except TypeError:  # not a Python function (a class, a builtin)
            references = None
        if references is not None:
            names = handler.__code__.co_names
            values = [*references.globals.values(), *references.nonlocals.values()]
            for value in values:
                # ``handlers.exception_handler(exc, context)``: an attribute of an imported module.
                if ours(value) or (
                    isinstance(value, ModuleType) and any(ours(getattr(value, name, None)) for name in names)
                ):
                    return True
        handler = getattr(handler, "__wrapped__", None)
    return False


KEY_STYLES = ("snake", "camel")


def class_problem(path: str, base: type, not_a_subclass: str) -> str:
    """What is wrong with the dotted path of a ``base`` subclass in a setting, or "" if nothing."""
    try:
        found = import_string(path)
    except ImportError as error:
        return f"cannot be imported ({error})"
    if not (isinstance(found, type) and issubclass(found, base)):
        return not_a_subclass
    return ""


def check_formatter_settings(registry_settings: Any) -> list[CheckMessage]:
    """The envelope settings every error response depends on: a typo here would make each one a 500."""
    from errorregistry.envelope.formatters import OPTIONAL_MEMBERS, PRESETS, BaseFormatter

    messages: list[CheckMessage] = []
    envelope = registry_settings.ENVELOPE
    if isinstance(envelope, str) and envelope not in PRESETS:  # templates: check_envelope
        problem = class_problem(envelope, BaseFormatter, "is not a subclass of errorregistry.formatters.BaseFormatter")
        if problem:
            messages.append(
                Error(
                    f'ERROR_REGISTRY["ENVELOPE"] is {envelope!r}, which is not a preset and {problem}.',
                    hint=f"Use one of {', '.join(map(repr, PRESETS))} or the dotted path of a BaseFormatter subclass.",
                    id="errorregistry.E003",
                )
            )
    key_style = registry_settings.KEY_STYLE
    if key_style not in KEY_STYLES:
        messages.append(
            Error(
                f'ERROR_REGISTRY["KEY_STYLE"] is {key_style!r}: envelope keys would silently stay snake_case.',
                hint='Use "snake" (request_id) or "camel" (requestId).',
                id="errorregistry.E004",
            )
        )
    members = registry_settings.OPTIONAL_MEMBERS
    if isinstance(members, (list, tuple)):
        unknown = [m for m in members if m not in OPTIONAL_MEMBERS]
    else:  # a lone string, None: not a list of members
        unknown = [members]
    if unknown:
        messages.append(
            Error(
                f'ERROR_REGISTRY["OPTIONAL_MEMBERS"] names unknown members: {", ".join(map(repr, unknown))}.',
                hint=f"Use a list of any of {', '.join(map(repr, OPTIONAL_MEMBERS))}.",
                id="errorregistry.E005",
            )
        )
    return messages


def check_dotted_paths(registry_settings: Any) -> list[CheckMessage]:
    """Every dotted path in ``ERROR_REGISTRY`` is imported now, not at the first error response."""
    messages: list[CheckMessage] = []
    catalog = registry_settings.CATALOG
    if isinstance(catalog, str):
        try:
            import_string(catalog)
        except ImportError as error:
            messages.append(
                Error(
                    f'ERROR_REGISTRY["CATALOG"] is {catalog!r}, which cannot be imported ({error}).',
                    hint="Point it at a list of errorregistry.catalog.Declaration (or a function returning one), "
                    'e.g. "myapi.errors.CODES".',
                    id="errorregistry.E006",
                )
            )
    for path, code in dict(registry_settings.EXCEPTION_CODES).items():
        problem = class_problem(path, BaseException, "is not an exception class")
        if problem:
            messages.append(
                Error(
                    f'ERROR_REGISTRY["EXCEPTION_CODES"] maps {path!r} to {code!r}, but {path!r} {problem}.',
                    hint='Use the dotted path of an exception class, e.g. "myapi.billing.OutOfCredits".',
                    id="errorregistry.E007",
                )
            )
    context = registry_settings.user_settings.get("AUDIT_CONTEXT")
    if isinstance(context, str):
        try:
            import_string(context)
        except ImportError as error:
            messages.append(
                Error(
                    f'ERROR_REGISTRY["AUDIT_CONTEXT"] is {context!r}, which cannot be imported ({error}).',
                    hint="Point it at a function (request) -> dict, or set it to None.",
                    id="errorregistry.E008",
                )
            )
    return messages


def check_envelope(registry_settings: Any) -> list[CheckMessage]:
    """A template that cannot render (unknown source, not JSON), a field-error layout or a
    built-in renaming that cannot work: each fails at start-up rather than on the first error."""
    from errorregistry.envelope.template import FIELD_ERROR_SOURCES, SOURCES, template_problems
    from errorregistry.registry.declarations import BUILTIN_CODES

    messages: list[CheckMessage] = []
    envelope = registry_settings.ENVELOPE
    if not isinstance(envelope, (str, dict)):
        messages.append(
            Error(
                f'ERROR_REGISTRY["ENVELOPE"] is {envelope!r}: it is neither a preset, a dotted path nor a template.',
                hint='Use a preset name, "dotted.path.Formatter", or a dict written as the envelope looks.',
                id="errorregistry.E010",
            )
        )
    elif isinstance(envelope, dict):
        for problem in template_problems(envelope, SOURCES):
            messages.append(
                Error(
                    f'ERROR_REGISTRY["ENVELOPE"] template: {problem}.',
                    hint='Use only JSON values; "$source" and "$a|$b" may name '
                    + ", ".join("$" + s for s in SOURCES) + ".",
                    id="errorregistry.E011" if "JSON" in problem else "errorregistry.E010",
                )
            )
    layout = registry_settings.FIELD_ERRORS
    problems = (
        ["it is neither \"map\" nor an item template (a dict)"] if layout != "map" and not isinstance(layout, dict)
        else [] if layout == "map" else template_problems(layout, FIELD_ERROR_SOURCES)
    )
    for problem in problems:
        messages.append(
            Error(
                f'ERROR_REGISTRY["FIELD_ERRORS"]: {problem}.',
                hint='Use "map" or an item template naming $field, $pointer, $code, $message, '
                'e.g. {"field": "$field", "message": "$message"}.',
                id="errorregistry.E012",
            )
        )
    names = registry_settings.BUILTIN_CODE_NAMES
    builtins = {d.code for d in BUILTIN_CODES}
    if not isinstance(names, dict) or not all(
        key in builtins and isinstance(value, str) and value for key, value in names.items()
    ):
        messages.append(
            Error(
                f'ERROR_REGISTRY["BUILTIN_CODE_NAMES"] is {names!r}: it must map built-in codes to new names.',
                hint="Built-in codes: " + ", ".join(sorted(builtins)) + ".",
                id="errorregistry.E013",
            )
        )
    return messages


def check_reference(registry_settings: Any) -> list[CheckMessage]:
    from errorregistry.publish.reference import reference_problems

    return [
        Error(
            f'ERROR_REGISTRY["REFERENCE"]: {problem}.',
            hint='Keys: COLUMNS, HEADINGS, GROUP_BY, EXAMPLE_CODE, CODES; see the settings reference.',
            id="errorregistry.E014",
        )
        for problem in reference_problems(registry_settings.REFERENCE)
    ]


AUDIT_MODES = ("background", "inline")
AUDIT_SINKS = ("database", "log")
FLOOD_LIMIT_KEYS = {"rate", "burst", "window"}


def check_audit(registry_settings: Any) -> list[CheckMessage]:
    """The audit's own settings: a mode that exists, a flood limit that can work, connections that last."""
    messages: list[CheckMessage] = []
    mode = registry_settings.AUDIT_MODE
    if mode not in AUDIT_MODES:
        messages.append(
            Error(
                f'ERROR_REGISTRY["AUDIT_MODE"] is {mode!r}: audit events would be neither queued nor stored.',
                hint='Use "background" (the default: a writer thread stores events in batches) or "inline".',
                id="errorregistry.E001",
            )
        )
    limit = registry_settings.AUDIT_FLOOD_LIMIT
    if limit is not None and not valid_flood_limit(limit):
        messages.append(
            Error(
                f'ERROR_REGISTRY["AUDIT_FLOOD_LIMIT"] is {limit!r}: flood control cannot use it.',
                hint='Use None (no limit) or {"rate": events per second, "burst": events, "window": seconds}, '
                "positive numbers; window is optional (60).",
                id="errorregistry.E002",
            )
        )
    sinks = registry_settings.AUDIT_SINKS
    if not isinstance(sinks, (list, tuple)) or not sinks or not set(sinks) <= set(AUDIT_SINKS):
        messages.append(
            Error(
                f'ERROR_REGISTRY["AUDIT_SINKS"] is {sinks!r}: audit events would go nowhere, or somewhere unknown.',
                hint='Use a list of "database" (the default) and/or "log" (one JSON line per event on the '
                "errorregistry.audit.events logger).",
                id="errorregistry.E009",
            )
        )
    if registry_settings.AUDIT and mode == "inline":
        from errorregistry.audit.store import audit_alias

        database = settings.DATABASES.get(audit_alias(), {})
        if database.get("ENGINE", "").endswith("postgresql") and database.get("CONN_MAX_AGE", 0) == 0:
            messages.append(
                Warning(
                    "The audit is written inline on PostgreSQL with CONN_MAX_AGE = 0: every error response "
                    "opens a new database connection for its audit row.",
                    hint='Set CONN_MAX_AGE (e.g. 60, with CONN_HEALTH_CHECKS = True) on that database, or use '
                    'ERROR_REGISTRY["AUDIT_MODE"] = "background", whose writer keeps one connection.',
                    id="errorregistry.W004",
                )
            )
    return messages


def valid_flood_limit(limit: Any) -> bool:
    if not isinstance(limit, dict) or not {"rate", "burst"} <= set(limit) <= FLOOD_LIMIT_KEYS:
        return False
    return all(isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 for value in limit.values())


@register(Tags.database)
def check_partitions(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """On a partitioned audit table, a partition must be ready for tomorrow's events, or they
    will be refused (and logged instead of stored) once the day begins."""
    from datetime import timedelta

    from django.db import DatabaseError, connections
    from django.utils import timezone

    from errorregistry.audit.partitions import covers, interval_of
    from errorregistry.audit.store import audit_alias

    alias = audit_alias()
    if not databases or alias not in databases:
        return []
    connection = connections[alias]
    try:
        if interval_of(connection) is None or covers(connection, timezone.now() + timedelta(days=1)):
            return []
    except DatabaseError:
        return []  # no database to look at (yet): nothing to say
    return [
        Warning(
            "The audit table is partitioned but has no partition for tomorrow: tomorrow's events will be "
            "refused by the database and logged to errorregistry.audit instead of stored.",
            hint="Run `manage.py errorregistry_partition ahead` now, and daily from cron.",
            id="errorregistry.W005",
        )
    ]
