"""A logging filter that stamps every record with the current request ID.

    LOGGING = {"filters": {"request_id": {"()": "errorregistry.log.RequestIdFilter"}}, ...}
    # then use %(request_id)s in a formatter
"""

from __future__ import annotations

import logging

from errorregistry.request_id import current_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id.get()
        if request_id is None:
            # django.request logs after the middleware returned; the request travels with the record.
            request_id = getattr(getattr(record, "request", None), "request_id", None)
        record.request_id = request_id or "-"
        return True
