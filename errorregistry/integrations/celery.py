"""Celery: a task started during a request carries the request ID (and trace) in its message
headers, and inside the task they are current again, for ``RequestIdFilter`` and the logs.

Wired in ``AppConfig.ready()`` when Celery is installed; active when
``ERROR_REGISTRY["CELERY"]`` is True (read at each publish and each task, so tests can
switch it). The worker's own tasks started outside a request carry nothing.
"""

from __future__ import annotations

from contextvars import Token
from typing import Any

from celery import signals

from errorregistry.conf import registry_settings
from errorregistry.request_id import current_request_id
from errorregistry.trace import TraceContext, current_trace

REQUEST_ID_HEADER = "errorregistry_request_id"
TRACE_ID_HEADER = "errorregistry_trace_id"
SPAN_ID_HEADER = "errorregistry_span_id"

# Tokens of the task running in this worker thread, keyed by task ID, reset when it ends.
_running: dict[str, tuple[Token[str | None], Token[TraceContext | None]]] = {}


def add_headers(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """``before_task_publish``: the current request's IDs go into the message headers."""
    if not registry_settings.CELERY or headers is None:
        return
    request_id = current_request_id.get()
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
        trace = current_trace.get()
        if trace is not None:
            headers[TRACE_ID_HEADER], headers[SPAN_ID_HEADER] = trace.trace_id, trace.span_id


def enter_task(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    """``task_prerun``: the IDs the message carries become current for the task's run."""
    if not registry_settings.CELERY or task is None or task_id is None:
        return
    request_id = getattr(task.request, REQUEST_ID_HEADER, None)
    if not isinstance(request_id, str) or not request_id:
        return
    trace_id = getattr(task.request, TRACE_ID_HEADER, None)
    span_id = getattr(task.request, SPAN_ID_HEADER, None)
    trace = TraceContext(trace_id, span_id) if isinstance(trace_id, str) and isinstance(span_id, str) else None
    _running[task_id] = (current_request_id.set(request_id), current_trace.set(trace))


def leave_task(task_id: str | None = None, **_: Any) -> None:
    """``task_postrun``: the worker thread forgets the IDs (its next task may have none)."""
    tokens = _running.pop(task_id, None) if task_id is not None else None
    if tokens is not None:
        request_token, trace_token = tokens
        current_trace.reset(trace_token)
        current_request_id.reset(request_token)


def connect() -> None:
    signals.before_task_publish.connect(add_headers, weak=False, dispatch_uid="errorregistry.add_headers")
    signals.task_prerun.connect(enter_task, weak=False, dispatch_uid="errorregistry.enter_task")
    signals.task_postrun.connect(leave_task, weak=False, dispatch_uid="errorregistry.leave_task")
