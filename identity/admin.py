"""The identity audit trail in the admin: read-only, no identity shown, scoped to the clinic.

Clinic IT or an auditor reads who saw or changed whose contact details, and who issued or
revoked an app code, without a shell. Nobody adds, changes or deletes an event here (the model
is append-only). ``PatientIdentity`` is not registered: contact details are shown and changed
only on the dashboard's audited screens.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from diary.access import staff_member_for
from identity.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "patient", "action", "screen"]
    list_filter = ["action", "screen"]
    list_select_related = ["user", "patient"]
    search_fields = ["patient__subject_id", "user__username"]
    date_hierarchy = "at"
    fields = ["at", "user", "patient", "action", "screen"]
    readonly_fields = ["at", "user", "patient", "action", "screen"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        member = staff_member_for(request.user)
        if member is None:
            return queryset.none()
        return queryset.filter(patient__clinic_id=member.clinic_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
