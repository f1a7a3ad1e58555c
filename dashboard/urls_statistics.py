"""统计报表 (namespace ``dashboard``; the home page keeps its plain name ``home`` in dashboard/urls.py)."""

from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.StatisticsView.as_view(), name="statistics"),
    path("services/", views.ServicesView.as_view(), name="statistics_services"),
    path("beds/", views.BedsView.as_view(), name="statistics_beds"),
    path("indicators/", views.IndicatorsView.as_view(), name="indicators"),
    path("export.xlsx", views.ExportView.as_view(), name="export"),
]
