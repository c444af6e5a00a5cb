"""Read-only admin views of alerts and the outbox (the triage dashboard is where staff act)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from alerts.models import Alert, AlertEvent, AlertEvidence, ExpectedAmber, Notification
from diary.admin import ClinicScopedAdmin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EvidenceInline(ReadOnlyInline):
    model = AlertEvidence
    fields = readonly_fields = ("created_at", "code", "level", "measure", "reason", "entry")


class EventInline(ReadOnlyInline):
    model = AlertEvent
    fields = readonly_fields = ("at", "type", "actor", "detail")


class NotificationInline(ReadOnlyInline):
    model = Notification
    fields = readonly_fields = (
        "created_at",
        "channel",
        "reason",
        "level",
        "sent_at",
        "attempts",
        "last_error",
    )


@admin.register(Alert)
class AlertAdmin(ClinicScopedAdmin):
    clinic_lookup = "clinic"
    list_display = ["pk", "patient", "kind", "level", "status", "opened_at", "due_at"]
    list_filter = ["level", "kind", "status"]
    search_fields = ["patient__subject_id"]
    inlines = [EvidenceInline, EventInline, NotificationInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ExpectedAmber)
class ExpectedAmberAdmin(ClinicScopedAdmin):
    clinic_lookup = "patient__clinic"
    list_display = ["patient", "alert", "until", "ended_at", "set_by"]
    readonly_fields = [
        "alert",
        "patient",
        "triggers",
        "reason",
        "set_by",
        "set_at",
        "until",
        "ended_at",
    ]

    # Read-only: a marking is set, audited and ended through the alert page (alerts.lifecycle).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
