from django.urls import path

from .views import beds, facilities, waitlist

app_name = "facilities"
urlpatterns = [
    path("", facilities.FacilityListView.as_view(), name="facility_list"),
    path("new/", facilities.FacilityCreateView.as_view(), name="facility_create"),
    path("indicators/", facilities.IndicatorsView.as_view(), name="indicators"),
    path("indicators/export/", facilities.IndicatorsExportView.as_view(), name="indicators_export"),
    path("<int:pk>/", facilities.FacilityDetailView.as_view(), name="facility_detail"),
    path("<int:pk>/edit/", facilities.FacilityUpdateView.as_view(), name="facility_update"),
    path("<int:pk>/ratings/new/", facilities.RatingCreateView.as_view(), name="rating_create"),
    path("<int:pk>/beds/new/", beds.BedCreateView.as_view(), name="bed_create"),
    path("<int:pk>/beds/labels/", beds.BedLabelsView.as_view(), name="bed_labels"),
    path("<int:pk>/admit/", beds.AdmitView.as_view(), name="admit"),
    path("<int:pk>/waitlist/", waitlist.WaitlistView.as_view(), name="waitlist"),
    path("<int:pk>/waitlist/apply/", waitlist.WaitlistApplyView.as_view(), name="waitlist_apply"),
    path("beds/<int:pk>/status/", beds.BedStatusView.as_view(), name="bed_status"),
    path("admissions/<int:pk>/discharge/", beds.DischargeView.as_view(), name="discharge"),
    path("admissions/<int:pk>/transfer/", beds.TransferView.as_view(), name="transfer"),
    path("waitlist/<int:pk>/withdraw/", waitlist.WaitlistWithdrawView.as_view(), name="waitlist_withdraw"),
]
