from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("", views.WorklistView.as_view(), name="worklist"),
    path("elders/<int:pk>/", views.ElderAssessmentsView.as_view(), name="elder"),
    path("elders/<int:pk>/new/", views.AssessmentCreateView.as_view(), name="create"),
    path("elders/<int:pk>/request/", views.RequestImmediateView.as_view(), name="request_immediate"),
    path("<int:pk>/", views.AssessmentDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.AssessmentUpdateView.as_view(), name="update"),
    path("<int:pk>/print/", views.AssessmentPrintView.as_view(), name="print"),
    path("<int:pk>/submit/", views.AssessmentSubmitView.as_view(), name="submit"),
    path("<int:pk>/approve/", views.AssessmentApproveView.as_view(), name="approve"),
    path("<int:pk>/return/", views.AssessmentReturnView.as_view(), name="return"),
]
