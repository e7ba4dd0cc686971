"""A logging filter that stamps every record with the current request ID.

    LOGGING = {"filters": {"request_id": {"()": "errorregistry.log.RequestIdFilter"}}, ...}
    # then use %(request_id)s in a formatter
"""

from __future__ import annotations

import logging

from errorregistry.request_id import current_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True
