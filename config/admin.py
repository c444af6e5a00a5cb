"""The admin site: the dashboard's sign-in, both steps, for every admin page."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest


class StaffAdminSite(admin.AdminSite):
    """Django's admin site, refusing a session that has not passed the TOTP second step (or that
    must enrol first): such a user is sent to sign in again, as on the dashboard."""

    def has_permission(self, request: HttpRequest) -> bool:
        from diary.access import needs_second_step

        return super().has_permission(request) and not needs_second_step(request.user)
