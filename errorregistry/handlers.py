"""Kept for ``REST_FRAMEWORK["EXCEPTION_HANDLER"] = "errorregistry.handlers.exception_handler"``;
the handler lives in ``errorregistry.handler``."""

from errorregistry.handler import ExceptionHandler, exception_handler

__all__ = ["ExceptionHandler", "exception_handler"]
