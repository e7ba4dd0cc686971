"""A small API that can fail in every way the registry knows."""

from __future__ import annotations

import logging
import uuid

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponseGone, HttpResponseNotFound, JsonResponse
from rest_framework import exceptions, parsers, permissions, throttling
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, schema
from rest_framework.response import Response
from rest_framework.views import APIView

from errorregistry import ApiError
from errorregistry.decorators import raises
from errorregistry.registry import registry
from project.demo.openapi import AnyCodeSchema
from project.demo.serializers import (
    AccountSerializer,
    OkSerializer,
    OrderCreatedSerializer,
    OrderSerializer,
    TeamSerializer,
)

logger = logging.getLogger("project.demo")


class DemoThrottle(throttling.SimpleRateThrottle):
    scope = "demo"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class OrderView(APIView):
    """POST an order; invalid input fails with every field error at once."""

    permission_classes = [permissions.AllowAny]
    # Nested objects and lists: only JSON can carry them (form data would lose them), and the schema says so.
    parser_classes = [parsers.JSONParser]

    @extend_schema(request=OrderSerializer, responses={201: OrderCreatedSerializer})
    def post(self, request):
        serializer = OrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"ok": True, "order": serializer.validated_data["email"]}, status=201)


class AccountView(APIView):
    """Requires authentication."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=AccountSerializer)
    def get(self, request):
        return Response({"username": request.user.get_username()})


class ThrottledView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [DemoThrottle]

    @extend_schema(responses=OkSerializer)
    def get(self, request):
        return Response({"ok": True})


class ExportView(APIView):
    """A charged operation: fails with a business code and details."""

    permission_classes = [permissions.AllowAny]

    # Never succeeds: only the error responses are documented.
    @extend_schema(request=None, responses={})
    @raises("insufficient_credits", "insufficient_scope")
    def post(self, request):
        scope = request.headers.get("X-Token-Scope", "read")
        if scope != "read_write":
            raise exceptions.PermissionDenied(code="insufficient_scope")
        raise ApiError("insufficient_credits", details={"balance": 3, "required": 10})


class TeamView(APIView):
    """Creates a team, then charges for it: a failed charge must roll the team back (ATOMIC_REQUESTS)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(request=TeamSerializer, responses={})
    @raises("insufficient_credits")
    def post(self, request):
        serializer = TeamSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A unique suffix: without ATOMIC_REQUESTS the demo keeps the team, and a retry must not collide.
        Group.objects.create(name=f"{serializer.validated_data['name']} {uuid.uuid4().hex[:8]}")
        raise ApiError("insufficient_credits", details={"balance": 0, "required": 5})


@extend_schema(responses={})
@api_view(["GET"])
@schema(AnyCodeSchema())
def raise_code(request, code: str):
    """Raise any registry code: ``/api/demo/errors/<code>/``."""
    if registry.get(code) is None:
        raise exceptions.NotFound()
    raise ApiError(code)


@extend_schema(responses={})
@api_view(["GET"])
def crash(request):
    raise RuntimeError("database password=hunter2 leaked in an exception message")


@extend_schema(responses=OkSerializer)
@api_view(["GET"])
def health(request):
    return Response({"ok": True})


async def async_django_view(request, kind: str):
    """An async view: request IDs and envelopes work the same."""
    if kind == "missing":
        raise Http404("no such thing")
    if kind == "crash":
        raise ValueError("async view crashed")
    if kind == "log":
        logger.info("async view handled a request")
        raise Http404("logged")
    return JsonResponse({"ok": True})


def plain_django_view(request, kind: str):
    """A non-DRF view under /api/: its failures get the envelope too."""
    if kind == "missing":
        raise Http404("no such thing")
    if kind == "forbidden":
        raise DjangoPermissionDenied()
    if kind == "crash":
        raise ValueError("plain view crashed with secret=s3cr3t")
    if kind == "download":
        # A missing file whose error page still describes a gzip download: none of that may
        # reach the JSON envelope that replaces it.
        response = HttpResponseNotFound("<h1>Not found</h1>")
        response["Content-Disposition"] = 'attachment; filename="report.csv.gz"'
        response["Content-Encoding"] = "gzip"
        response["ETag"] = '"abc"'
        response["Last-Modified"] = "Wed, 21 Oct 2015 07:28:00 GMT"
        response["Vary"] = "Cookie"
        return response
    if kind == "gone":
        return HttpResponseGone("<h1>Gone</h1>")
    if kind == "cookie":
        response = HttpResponseNotFound("<h1>Not found</h1>")
        response.set_cookie("demo", "kept")
        return response
    return JsonResponse({"ok": True})
