"""Public registry URLs; include them wherever the project likes (e.g. ``path("api/errors/", include(...))``)."""

from django.urls import path

from errorregistry.publish import views

app_name = "errorregistry"

urlpatterns = [
    path("", views.CatalogView.as_view(), name="catalog"),
    # Before the code pattern, or "reference" would be looked up as a code.
    path("reference/", views.ReferenceView.as_view(), name="reference"),
    path("<str:code>/", views.CatalogDetailView.as_view(), name="catalog-detail"),
]
