"""Kept for ``"DEFAULT_SCHEMA_CLASS": "errorregistry.openapi.ErrorResponsesAutoSchema"``;
the OpenAPI support lives in ``errorregistry.publish.openapi``."""

from errorregistry.publish.openapi import ErrorResponsesAutoSchema, add_error_components

__all__ = ["ErrorResponsesAutoSchema", "add_error_components"]
