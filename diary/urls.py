from django.urls import path

from diary import api, staff_api

urlpatterns = [
    path("auth/enroll/", api.EnrollView.as_view(), name="auth-enroll"),
    path("auth/token/", api.TokenView.as_view(), name="auth-token"),
    path("auth/refresh/", api.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", api.LogoutView.as_view(), name="auth-logout"),
    path("me/", api.MeView.as_view(), name="me"),
    path("entries/", api.EntryListCreateView.as_view(), name="entries"),
    path("entries/batch/", api.EntryBatchView.as_view(), name="entries-batch"),
    path("entries/<uuid:pk>/", api.EntryDetailView.as_view(), name="entry-detail"),
    path(
        "staff/patients/<str:subject_id>/observations/",
        staff_api.ObservationsView.as_view(),
        name="staff-observations",
    ),
]
