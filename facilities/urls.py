from django.urls import path

from . import views

app_name = "facilities"
urlpatterns = [
    path("", views.FacilityListView.as_view(), name="facility_list"),
    path("new/", views.FacilityCreateView.as_view(), name="facility_create"),
    path("indicators/", views.IndicatorsView.as_view(), name="indicators"),
    path("indicators/export/", views.IndicatorsExportView.as_view(), name="indicators_export"),
    path("<int:pk>/", views.FacilityDetailView.as_view(), name="facility_detail"),
    path("<int:pk>/edit/", views.FacilityUpdateView.as_view(), name="facility_update"),
    path("<int:pk>/ratings/new/", views.RatingCreateView.as_view(), name="rating_create"),
    path("<int:pk>/beds/new/", views.BedCreateView.as_view(), name="bed_create"),
    path("<int:pk>/beds/labels/", views.BedLabelsView.as_view(), name="bed_labels"),
    path("<int:pk>/admit/", views.AdmitView.as_view(), name="admit"),
    path("<int:pk>/waitlist/", views.WaitlistView.as_view(), name="waitlist"),
    path("<int:pk>/waitlist/apply/", views.WaitlistApplyView.as_view(), name="waitlist_apply"),
    path("beds/<int:pk>/status/", views.BedStatusView.as_view(), name="bed_status"),
    path("admissions/<int:pk>/discharge/", views.DischargeView.as_view(), name="discharge"),
    path("admissions/<int:pk>/transfer/", views.TransferView.as_view(), name="transfer"),
    path("waitlist/<int:pk>/withdraw/", views.WaitlistWithdrawView.as_view(), name="waitlist_withdraw"),
]
