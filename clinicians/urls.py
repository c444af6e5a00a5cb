"""Staff dashboard URLs, mounted at /staff/ (config/urls.py)."""

from django.urls import path

from clinicians import live

app_name = "clinicians"

urlpatterns = [
    path("live/", live.stream, name="live"),
]
