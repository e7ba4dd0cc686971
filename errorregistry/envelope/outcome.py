"""What one client received, as a value: returned with the response, read by the audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from errorregistry.registry.store import Entry


@dataclass
class ErrorOutcome:
    """The code, status, message and language sent, and the exception behind them, if any.

    ``render_error`` builds it and attaches it to the ``ErrorResponse`` it returns
    (``response.error_outcome``); the middleware hands it to the audit once the
    response is complete.
    """

    request_id: str
    code: str
    status: int
    message: str
    language: str
    message_template: str = ""
    unknown_code: bool = False
    details: dict[str, Any] = field(default_factory=dict)
    exception: BaseException | None = None
    entry: Entry | None = None
