"""The exception an API raises to fail with a registry code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApiError(Exception):
    """Fail the current request with the registry entry ``code``.

    Status, message, action and retry hints come from the registry, so the
    call site only names *what* went wrong::

        raise ApiError("insufficient_credits", details={"balance": 3, "required": 10})
    """

    def __init__(
        self,
        code: str,
        details: Mapping[str, Any] | None = None,
        *,
        retry_after: int | None = None,
    ) -> None:
        self.code = code
        self.details = dict(details or {})
        self.retry_after = retry_after
        super().__init__(code)

    def __repr__(self) -> str:
        return f"ApiError({self.code!r})"
