from django.urls import path

from diary import api, catalogue_api, staff_api

urlpatterns = [
    path("auth/enroll/", api.EnrollView.as_view(), name="auth-enroll"),
    path("auth/token/", api.TokenView.as_view(), name="auth-token"),
    path("auth/refresh/", api.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", api.LogoutView.as_view(), name="auth-logout"),
    path("me/", api.MeView.as_view(), name="me"),
    path("catalogue/", catalogue_api.CatalogueView.as_view(), name="catalogue"),
    path("entries/", api.EntryListCreateView.as_view(), name="entries"),
    path("entries/batch/", api.EntryBatchView.as_view(), name="entries-batch"),
    path("entries/<uuid:pk>/", api.EntryDetailView.as_view(), name="entry-detail"),
    path("questionnaires/due/", api.QuestionnairesDueView.as_view(), name="questionnaires-due"),
    path(
        "questionnaires/responses/",
        api.ResponseListCreateView.as_view(),
        name="questionnaire-responses",
    ),
    path(
        "questionnaires/responses/<uuid:pk>/",
        api.ResponseDetailView.as_view(),
        name="questionnaire-response-detail",
    ),
    path("questionnaires/trends/", api.TrendsView.as_view(), name="questionnaire-trends"),
    path("devices/", api.DevicesView.as_view(), name="devices"),
    path(
        "staff/patients/<str:subject_id>/observations/",
        staff_api.ObservationsView.as_view(),
        name="staff-observations",
    ),
    path(
        "staff/patients/<str:subject_id>/baselines/",
        staff_api.BaselinesView.as_view(),
        name="staff-baselines",
    ),
]
