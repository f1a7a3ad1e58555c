from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.BatchListView.as_view(), name="batch_list"),
    path("new/", views.UploadView.as_view(), name="upload"),
    path("template/", views.TemplateDownloadView.as_view(), name="template"),
    path("<int:pk>/", views.BatchDetailView.as_view(), name="batch_detail"),
    path("<int:pk>/progress/", views.BatchProgressView.as_view(), name="batch_progress"),
    path("<int:pk>/confirm/", views.BatchConfirmView.as_view(), name="batch_confirm"),
    path("<int:pk>/cancel/", views.BatchCancelView.as_view(), name="batch_cancel"),
    path("<int:pk>/file/", views.BatchFileView.as_view(), name="batch_file"),
    path("<int:pk>/errors.xlsx", views.BatchErrorReportView.as_view(), name="batch_errors"),
]
