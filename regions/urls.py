from django.urls import path

from . import views

app_name = "regions"
urlpatterns = [
    path("area-picker/", views.AreaPickerView.as_view(), name="area_picker"),
]
