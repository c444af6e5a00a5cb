"""Staff export API, mounted at /api/v1/staff/exports/ (config/urls.py)."""

from django.urls import path

from clinicians.exports import api

urlpatterns = [
    path("", api.ExportsView.as_view(), name="staff-exports"),
    path("<uuid:pk>/", api.ExportDetailView.as_view(), name="staff-export"),
    path("<uuid:pk>/download/", api.ExportDownloadView.as_view(), name="staff-export-download"),
]
