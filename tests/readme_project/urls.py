from django.urls import include, path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from errorregistry import ApiError
from errorregistry.decorators import raises


class ExportSerializer(serializers.Serializer):
    size = serializers.IntegerField(min_value=1)


class ExportView(APIView):
    serializer_class = ExportSerializer

    @raises("insufficient_credits")
    def post(self, request):
        ExportSerializer(data=request.data).is_valid(raise_exception=True)
        raise ApiError("insufficient_credits", details={"balance": 3, "required": 10})

    def get(self, request):
        return Response({"size": 1})


urlpatterns = [
    path("api/exports/", ExportView.as_view()),
    path("api/errors/", include("errorregistry.urls")),
]
