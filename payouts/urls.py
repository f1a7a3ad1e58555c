from django.urls import path

from . import views

app_name = "payouts"

urlpatterns = [
    path("", views.RunListView.as_view(), name="run_list"),
    path("generate/", views.RunGenerateView.as_view(), name="run_generate"),
    path("report/", views.MonthlyReportView.as_view(), name="report"),
    path("<int:pk>/", views.RunDetailView.as_view(), name="run_detail"),
    path("lines/<int:pk>/", views.LineDetailView.as_view(), name="line_detail"),
    path("<int:pk>/lines/", views.RunLinesView.as_view(), name="run_lines"),
    path("<int:pk>/submit/", views.RunSubmitView.as_view(), name="run_submit"),
    path("<int:pk>/return/", views.RunReturnView.as_view(), name="run_return"),
    path("<int:pk>/acknowledge/", views.RunAcknowledgeView.as_view(), name="run_acknowledge"),
    path("<int:pk>/approve/", views.RunApproveView.as_view(), name="run_approve"),
    path("<int:pk>/export/", views.RunExportView.as_view(), name="run_export"),
    path("<int:pk>/reconcile/", views.RunReconcileView.as_view(), name="run_reconcile"),
    path("<int:pk>/close/", views.RunCloseView.as_view(), name="run_close"),
]
