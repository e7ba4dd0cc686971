"""The demo's OpenAPI pieces: its Basic authentication scheme, and the schema of the view that raises any code."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from errorregistry.openapi import ErrorResponsesAutoSchema
from errorregistry.registry import registry


class DemoBasicScheme(OpenApiAuthenticationExtension):
    """drf-spectacular knows DRF's BasicAuthentication, not subclasses of it: say the demo's is the same scheme."""

    target_class = "project.demo.authentication.BasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}


class AnyCodeSchema(ErrorResponsesAutoSchema):
    """``/api/demo/errors/<code>/`` raises whichever active code it is given: all of them are possible."""

    def declared_codes(self) -> list[str]:
        return [*super().declared_codes(), *sorted(registry.all())]
