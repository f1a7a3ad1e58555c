from django.urls import path

from . import views

# Included by config/urls.py under the URL namespace "eligibility" (the names predate this app).
urlpatterns = [
    path("elders/", views.ElderListView.as_view(), name="elder_list"),
    path("elders/new/", views.ElderCreateView.as_view(), name="elder_create"),
    path("elders/<int:pk>/", views.ElderDetailView.as_view(), name="elder_detail"),
    path("elders/<int:pk>/edit/", views.ElderUpdateView.as_view(), name="elder_update"),
    path("elders/<int:pk>/reveal-id/", views.ElderRevealIdView.as_view(), name="elder_reveal_id"),
    path("households/<int:pk>/", views.HouseholdDetailView.as_view(), name="household_detail"),
]
