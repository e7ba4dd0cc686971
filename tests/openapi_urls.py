"""Views a real project has and the demo lacks, for the OpenAPI tests: filtered and paginated lists,
and a view that raises a registry code it never declared."""

from django.contrib.auth.models import Group
from django.urls import include, path
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, generics, pagination, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from errorregistry import ApiError
from errorregistry.decorators import raises


class GroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name"]


class Pages(pagination.PageNumberPagination):
    page_size = 2


class FilteredGroups(generics.ListAPIView):
    """django-filter answers ?id=abc with a ValidationError (400); ?page=99 is a NotFound (404)."""

    queryset = Group.objects.order_by("id")
    serializer_class = GroupSerializer
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["id"]
    pagination_class = Pages


class SearchedGroups(generics.ListAPIView):
    """SearchFilter and limit/offset pagination never reject a query."""

    queryset = Group.objects.order_by("id")
    serializer_class = GroupSerializer
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    filter_backends = [filters.SearchFilter]
    search_fields = ["name"]
    pagination_class = pagination.LimitOffsetPagination


class Payments(APIView):
    """Declares one 402 code, and raises another one of the same status."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @raises("insufficient_credits")
    def get(self, request):
        if request.query_params.get("card") == "declined":
            raise ApiError("payment_required")
        raise ApiError("insufficient_credits", details={"balance": 0, "required": 1})


urlpatterns = [
    path("api/groups/", FilteredGroups.as_view()),
    path("api/searched-groups/", SearchedGroups.as_view()),
    path("api/payments/", Payments.as_view()),
    path("api/errors/", include("errorregistry.urls")),
]
