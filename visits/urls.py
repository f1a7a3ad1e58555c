from django.urls import path

from . import views

app_name = "visits"

urlpatterns = [
    path("", views.MyVisitsView.as_view(), name="my_visits"),
    path("<int:pk>/record/", views.VisitRecordView.as_view(), name="record"),
    path("follow-ups/", views.FollowUpListView.as_view(), name="follow_ups"),
    path("follow-ups/<int:pk>/close/", views.FollowUpCloseView.as_view(), name="follow_up_close"),
    path("assignments/", views.AssignmentView.as_view(), name="assignments"),
    path("reports/", views.ReportView.as_view(), name="report"),
    path("reports/export/", views.ReportExportView.as_view(), name="report_export"),
]
