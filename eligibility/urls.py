from django.urls import path

from . import views, views_whatif, views_worklist

app_name = "eligibility"
urlpatterns = [
    path("elders/", views.ElderListView.as_view(), name="elder_list"),
    path("elders/new/", views.ElderCreateView.as_view(), name="elder_create"),
    path("elders/<int:pk>/", views.ElderDetailView.as_view(), name="elder_detail"),
    path("elders/<int:pk>/edit/", views.ElderUpdateView.as_view(), name="elder_update"),
    path("elders/<int:pk>/reveal-id/", views.ElderRevealIdView.as_view(), name="elder_reveal_id"),
    path("households/<int:pk>/", views.HouseholdDetailView.as_view(), name="household_detail"),
    path("worklist/", views_worklist.WorklistView.as_view(), name="worklist"),
    path("worklist/decide/", views_worklist.WorklistDecideView.as_view(), name="worklist_decide"),
    path("enrolments/export/", views_worklist.EnrolmentExportView.as_view(), name="enrolment_export"),
    path("policy/what-if/", views_whatif.WhatIfView.as_view(), name="whatif"),
]
