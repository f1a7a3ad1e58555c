from django.urls import path

from .views import whatif, worklist

# Included by config/urls.py under the URL namespace "eligibility", with the registry's pages.
urlpatterns = [
    path("worklist/", worklist.WorklistView.as_view(), name="worklist"),
    path("worklist/decide/", worklist.WorklistDecideView.as_view(), name="worklist_decide"),
    path("enrolments/export/", worklist.EnrolmentExportView.as_view(), name="enrolment_export"),
    path("policy/what-if/", whatif.WhatIfView.as_view(), name="whatif"),
]
