from django.urls import path

from . import health, views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("health/", health.HealthView.as_view(), name="health"),
    path("health/retry/", health.HealthRetryView.as_view(), name="health_retry"),
]
