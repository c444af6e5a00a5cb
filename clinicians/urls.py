"""Staff dashboard URLs, mounted at /staff/ (config/urls.py)."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from clinicians import auth_views, live, pages, patients, views
from clinicians.exports import views as export_views

app_name = "clinicians"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("queue/", views.queue_fragment, name="queue_fragment"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/<slug:action>/", views.alert_action, name="alert_action"),
    path("patients/", patients.patient_list, name="patients"),
    path("patients/enrol/", patients.enrol, name="enrol"),
    path("patients/<str:subject_id>/code/", patients.patient_code, name="patient_code"),
    path("patients/<str:subject_id>/contact/", patients.patient_contact, name="patient_contact"),
    path("patients/<str:subject_id>/", pages.patient, name="patient"),
    path(
        "patients/<str:subject_id>/baselines/",
        pages.patient_baselines,
        name="patient_baselines",
    ),
    path("programme/", pages.programme, name="programme"),
    path("exports/", export_views.exports, name="exports"),
    path("exports/list/", export_views.exports_fragment, name="exports_fragment"),
    path("exports/<uuid:pk>/download/", export_views.export_download, name="export_download"),
    path("live/", live.stream, name="live"),
    path("login/", auth_views.StaffLoginView.as_view(), name="login"),
    path("login/verify/", auth_views.login_verify, name="login_verify"),
    path("logout/", LogoutView.as_view(next_page="clinicians:login"), name="logout"),
    path("account/two-factor/", auth_views.two_factor, name="two_factor"),
]
