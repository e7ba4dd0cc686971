"""Public registry URLs; include them wherever the project likes (e.g. ``path("api/errors/", include(...))``)."""

from django.urls import path

from errorregistry import views

app_name = "errorregistry"

urlpatterns = [
    path("", views.CatalogView.as_view(), name="catalog"),
    path("<str:code>/", views.CatalogDetailView.as_view(), name="catalog-detail"),
]
