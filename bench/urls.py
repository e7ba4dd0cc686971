"""The benchmark's URLs: the demo API's views, unchanged."""

from django.urls import include, path

urlpatterns = [path("api/demo/", include("project.demo.urls"))]
