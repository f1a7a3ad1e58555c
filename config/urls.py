from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from eligibility import urls as eligibility_urls
from regions.views import LoginView
from registry import urls as registry_urls

admin.site.site_header = "颐养 · 基本养老服务管理后台"
admin.site.site_title = "颐养管理后台"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("regions/", include("regions.urls")),
    path("imports/", include("imports.urls")),
    path("facilities/", include("facilities.urls")),
    path("assessments/", include("assessments.urls")),
    path("visits/", include("visits.urls")),
    path("payouts/", include("payouts.urls")),
    path("statistics/", include("dashboard.urls_statistics")),
    # The registry's pages and the policy engine's keep their one URL namespace "eligibility".
    path("", include((registry_urls.urlpatterns + eligibility_urls.urlpatterns, "eligibility"))),
    path("", include("dashboard.urls")),
]
