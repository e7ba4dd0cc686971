from django.urls import include, path

urlpatterns = [path("api/errors/", include("errorregistry.urls"))]
