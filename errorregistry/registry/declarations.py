"""Error codes declared in code: the built-ins every DRF API needs, plus the project's own,
and the one list of what a code is made of.

Declarations are the seed of the database registry (``errorregistry_sync``)
and the last-resort fallback when the database has no entry. ``CodeContract`` names a
code's public fields once: ``Declaration`` and the registry's ``Entry`` extend it, and
sync, export/import and the JSON catalog all read ``CONTRACT_FIELDS``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from django.utils.module_loading import import_string

from errorregistry.conf import registry_settings


@dataclass(frozen=True)
class CodeContract:
    """What a code promises clients, in its default language: the one field list of a code."""

    code: str
    http_status: int
    category: str
    message: str
    action: str = ""
    retryable: bool = False
    retry_after: int | None = None
    docs_url: str = ""

    def as_fields(self) -> dict[str, Any]:
        """``CONTRACT_FIELDS`` and their values (the code itself left out)."""
        return {name: getattr(self, name) for name in CONTRACT_FIELDS}


# The fields of a code besides the code itself: what sync seeds and the catalog publishes.
CONTRACT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(CodeContract) if f.name != "code")
# What only the database registry holds (edited in the admin, moved by export/import).
REGISTRY_FIELDS: tuple[str, ...] = ("is_active", "audit_policy", "audit_sample_rate")


@dataclass(frozen=True)
class Declaration(CodeContract):
    """An error code as declared in code. ``translations`` maps language -> (message, action)."""

    translations: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def fingerprint(self) -> str:
        return fingerprint_of(self.as_fields(), self.translations)


def fingerprint_of(fields: Mapping[str, Any], translations: Mapping[str, tuple[str, str]]) -> str:
    """A stable hash of a code's public content, used to tell admin edits from synced rows."""
    payload = {
        "fields": {key: fields[key] for key in sorted(fields)},
        "translations": {lang: list(translations[lang]) for lang in sorted(translations)},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


BUILTIN_CODES: tuple[Declaration, ...] = (
    Declaration(
        "invalid_request", 400, "validation",
        "The request could not be parsed.",
        "Check that the body is well-formed and matches the Content-Type header.",
        translations={"fr": (
            "La requête n'a pas pu être analysée.",
            "Vérifiez que le corps est bien formé et correspond à l'en-tête Content-Type.",
        )},
    ),
    Declaration(
        "bad_request", 400, "validation",
        "The request was rejected as invalid.",
        "Check the request's URL, headers and body, then send it again.",
        translations={"fr": (
            "La requête a été rejetée comme invalide.",
            "Vérifiez l'URL, les en-têtes et le corps de la requête, puis renvoyez-la.",
        )},
    ),
    Declaration(
        "validation_error", 400, "validation",
        "One or more fields failed validation.",
        "Fix the fields listed in details and send the request again.",
        translations={"fr": (
            "Un ou plusieurs champs sont invalides.",
            "Corrigez les champs indiqués dans details puis renvoyez la requête.",
        )},
    ),
    Declaration(
        "not_authenticated", 401, "auth",
        "Authentication credentials were not provided.",
        "Send valid credentials in the Authorization header.",
        translations={"fr": (
            "Les informations d'authentification n'ont pas été fournies.",
            "Envoyez des identifiants valides dans l'en-tête Authorization.",
        )},
    ),
    Declaration(
        "authentication_failed", 401, "auth",
        "The credentials are invalid or expired.",
        "Check or renew your credentials.",
        translations={"fr": (
            "Les identifiants sont invalides ou expirés.",
            "Vérifiez ou renouvelez vos identifiants.",
        )},
    ),
    Declaration(
        "permission_denied", 403, "permission",
        "You do not have permission to perform this action.",
        "Use credentials that are allowed to perform this action.",
        translations={"fr": (
            "Vous n'avez pas la permission d'effectuer cette action.",
            "Utilisez des identifiants autorisés à effectuer cette action.",
        )},
    ),
    Declaration(
        "not_found", 404, "not_found",
        "The requested resource does not exist.",
        "Check the URL and the resource identifier.",
        translations={"fr": (
            "La ressource demandée n'existe pas.",
            "Vérifiez l'URL et l'identifiant de la ressource.",
        )},
    ),
    Declaration(
        "method_not_allowed", 405, "validation",
        "This HTTP method is not allowed here.",
        "Use one of the methods listed in the Allow header.",
        translations={"fr": (
            "Cette méthode HTTP n'est pas autorisée ici.",
            "Utilisez l'une des méthodes indiquées dans l'en-tête Allow.",
        )},
    ),
    Declaration(
        "not_acceptable", 406, "validation",
        "The requested response format is not available.",
        "Ask for application/json in the Accept header.",
        translations={"fr": (
            "Le format de réponse demandé n'est pas disponible.",
            "Demandez application/json dans l'en-tête Accept.",
        )},
    ),
    Declaration(
        "conflict", 409, "conflict",
        "The request conflicts with the current state of the resource.",
        "Fetch the resource again and retry with up-to-date data.",
        translations={"fr": (
            "La requête est en conflit avec l'état actuel de la ressource.",
            "Relisez la ressource puis réessayez avec des données à jour.",
        )},
    ),
    Declaration(
        "gone", 410, "not_found",
        "The requested resource is no longer available.",
        "Remove references to this resource; it will not come back.",
        translations={"fr": (
            "La ressource demandée n'est plus disponible.",
            "Supprimez les références à cette ressource ; elle ne reviendra pas.",
        )},
    ),
    Declaration(
        "precondition_failed", 412, "conflict",
        "A precondition in the request headers was not met.",
        "Fetch the resource again and retry with its current ETag or modification date.",
        translations={"fr": (
            "Une précondition des en-têtes de la requête n'est pas remplie.",
            "Relisez la ressource puis réessayez avec son ETag ou sa date de modification actuels.",
        )},
    ),
    Declaration(
        "request_too_large", 413, "validation",
        "The request body is too large.",
        "Send a smaller body.",
        translations={"fr": (
            "Le corps de la requête est trop volumineux.",
            "Envoyez un corps plus petit.",
        )},
    ),
    Declaration(
        "unsupported_media_type", 415, "validation",
        "The request body's media type is not supported.",
        "Send the body as application/json with a matching Content-Type header.",
        translations={"fr": (
            "Le type de média du corps de la requête n'est pas pris en charge.",
            "Envoyez le corps en application/json avec l'en-tête Content-Type correspondant.",
        )},
    ),
    Declaration(
        "rate_limited", 429, "rate_limit",
        "Too many requests.",
        "Wait for the number of seconds in the Retry-After header, then retry.",
        retryable=True,
        retry_after=60,
        translations={"fr": (
            "Trop de requêtes.",
            "Attendez le nombre de secondes indiqué par l'en-tête Retry-After, puis réessayez.",
        )},
    ),
    Declaration(
        "internal_error", 500, "server",
        "An unexpected error occurred.",
        "Retry with exponential backoff. Include the request ID when contacting support.",
        retryable=True,
        translations={"fr": (
            "Une erreur inattendue s'est produite.",
            "Réessayez avec un délai croissant. Indiquez l'identifiant de requête en contactant le support.",
        )},
    ),
    Declaration(
        "service_unavailable", 503, "server",
        "The service is temporarily unavailable.",
        "Retry with exponential backoff.",
        retryable=True,
        retry_after=30,
        translations={"fr": (
            "Le service est temporairement indisponible.",
            "Réessayez avec un délai croissant.",
        )},
    ),
)

INTERNAL_ERROR = "internal_error"


def builtin_name(code: str) -> str:
    """The name clients see for built-in ``code`` (``BUILTIN_CODE_NAMES``); other codes unchanged."""
    return registry_settings.BUILTIN_CODE_NAMES.get(code, code)


def builtin_declarations() -> tuple[Declaration, ...]:
    """The built-ins under their configured names (``BUILTIN_CODE_NAMES``)."""
    renames = registry_settings.BUILTIN_CODE_NAMES
    if not renames:
        return BUILTIN_CODES
    return tuple(replace(d, code=renames.get(d.code, d.code)) for d in BUILTIN_CODES)


def project_declarations() -> list[Declaration]:
    path = registry_settings.CATALOG
    if not path:
        return []
    declared = import_string(path) if isinstance(path, str) else path
    if callable(declared):
        declared = declared()
    return list(declared)


def declared_codes() -> dict[str, Declaration]:
    """Built-ins, then the project's declarations (which may redefine a built-in)."""
    declarations: dict[str, Declaration] = {}
    for declaration in (*builtin_declarations(), *project_declarations()):
        declarations[declaration.code] = declaration
    return declarations
