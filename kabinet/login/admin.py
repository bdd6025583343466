"""The audit logs in the admin: staff read them, nobody edits them."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from kabinet.login.models import LoginAttempt, StaffSignInFailure


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "created_at",
        "method",
        "role",
        "result",
        "error_code",
        "iin",
        "bin",
        "certificate_serial",
        "certificate_verified",
        "ip",
    )
    list_filter = ("result", "method", "role", "error_code", "certificate_verified")
    search_fields = ("iin", "bin", "certificate_serial", "ip")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(StaffSignInFailure)
class StaffSignInFailureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "username", "ip", "user_agent")
    search_fields = ("username", "ip")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
