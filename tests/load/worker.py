"""Tell the load client which gunicorn worker answered, so propagation is measured per process."""

import os


class WorkerPidMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Worker-Pid"] = str(os.getpid())
        return response
