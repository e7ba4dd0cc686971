"""OpenAPI for drf-spectacular (the ``errorregistry[openapi]`` extra): error responses from the registry.

One setting wires it in::

    REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "errorregistry.openapi.ErrorResponsesAutoSchema"

Each operation then lists the failures its view can really produce (content
negotiation, its parsers, authentication, permissions, throttles, filter
backends, paginator, URL parameters, and the business codes declared with
``@raises``), grouped under the status the registry gives each code, so an
admin who moves a code to another status moves it in the schema too. The
envelope component is registered by the schema class itself, derived from
what the configured formatter outputs, so a custom formatter is described as
well. The codes of a status are an open list: documented as examples, never a
closed enum, so a code added in the admin never makes a real response invalid.

The app's own catalog views are described here too (``OpenApiViewExtension``),
loaded by ``ErrorRegistryConfig.ready()`` whenever drf-spectacular is installed.
"""
from errorregistry.publish.openapi import catalog  # noqa: F401  (registers the catalog views' extensions)
from errorregistry.publish.openapi.envelope import add_error_components
from errorregistry.publish.openapi.operations import ErrorResponsesAutoSchema

__all__ = ["ErrorResponsesAutoSchema", "add_error_components"]
