from django.urls import path

from project.demo import views

urlpatterns = [
    path("orders/", views.OrderView.as_view(), name="orders"),
    path("account/", views.AccountView.as_view(), name="account"),
    path("throttled/", views.ThrottledView.as_view(), name="throttled"),
    path("teams/", views.TeamView.as_view(), name="teams"),
    path("exports/", views.ExportView.as_view(), name="exports"),
    path("errors/<str:code>/", views.raise_code, name="raise-code"),
    path("crash/", views.crash, name="crash"),
    path("health/", views.health, name="health"),
    path("plain/<str:kind>/", views.plain_django_view, name="plain"),
    path("async/<str:kind>/", views.async_django_view, name="async"),
]
