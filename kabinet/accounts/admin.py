"""Staff views of people, organisations and sessions, with blocking actions.

Identity fields come from certificates and are read-only here; staff change
only whether someone is blocked (through the actions, which keep the user
account in step) and the reason given.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kabinet.accounts import clock, registry
from kabinet.accounts.models import (
    Membership,
    Organisation,
    Person,
    SessionEndReason,
    SessionRecord,
    User,
)

admin.site.register(User, UserAdmin)


def _reason(request: HttpRequest) -> str:
    return f"blocked by {request.user.get_username()}"


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    fk_name = "person"
    extra = 0
    can_delete = False
    fields = ("organisation", "employee_roles", "created_at", "last_login_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class OrganisationMembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    fk_name = "organisation"
    extra = 0
    can_delete = False
    fields = ("person", "employee_roles", "created_at", "last_login_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "iin",
        "surname",
        "first_name",
        "patronymic",
        "is_blocked",
        "last_login_at",
    )
    list_filter = ("is_blocked",)
    search_fields = ("iin", "surname", "first_name", "common_name", "email")
    readonly_fields = (
        "user",
        "iin",
        "surname",
        "first_name",
        "patronymic",
        "common_name",
        "email",
        "is_blocked",
        "blocked_at",
        "created_at",
        "updated_at",
        "last_login_at",
    )
    fields = (*readonly_fields, "blocked_reason")
    inlines = (MembershipInline,)
    actions = (
        "block",
        "unblock",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Block the selected people"), permissions=["change"])
    def block(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        at = clock.now()
        people = list(queryset.filter(is_blocked=False))
        for person in people:
            registry.block_person(person, reason=_reason(request), at=at)
        self.message_user(
            request,
            ngettext("%d person blocked.", "%d people blocked.", len(people))
            % len(people),
            messages.SUCCESS,
        )

    @admin.action(description=_("Unblock the selected people"), permissions=["change"])
    def unblock(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        at = clock.now()
        people = list(queryset.filter(is_blocked=True))
        for person in people:
            registry.unblock_person(person, at=at)
        self.message_user(
            request,
            ngettext("%d person unblocked.", "%d people unblocked.", len(people))
            % len(people),
            messages.SUCCESS,
        )


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("bin", "name", "is_blocked", "updated_at")
    list_filter = ("is_blocked",)
    search_fields = ("bin", "name")
    readonly_fields = (
        "bin",
        "name",
        "system_user",
        "is_blocked",
        "blocked_at",
        "created_at",
        "updated_at",
    )
    fields = (*readonly_fields, "blocked_reason")
    inlines = (OrganisationMembershipInline,)
    actions = (
        "block",
        "unblock",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(
        description=_("Block the selected organisations"), permissions=["change"]
    )
    def block(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        at = clock.now()
        organisations = list(queryset.filter(is_blocked=False))
        for organisation in organisations:
            registry.block_organisation(organisation, reason=_reason(request), at=at)
        count = len(organisations)
        self.message_user(
            request,
            ngettext("%d organisation blocked.", "%d organisations blocked.", count)
            % count,
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Unblock the selected organisations"), permissions=["change"]
    )
    def unblock(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        at = clock.now()
        organisations = list(queryset.filter(is_blocked=True))
        for organisation in organisations:
            registry.unblock_organisation(organisation, at=at)
        count = len(organisations)
        self.message_user(
            request,
            ngettext("%d organisation unblocked.", "%d organisations unblocked.", count)
            % count,
            messages.SUCCESS,
        )


@admin.register(SessionRecord)
class SessionRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "user",
        "role",
        "method",
        "organisation",
        "ip",
        "created_at",
        "last_seen_at",
        "ended_at",
        "end_reason",
    )
    list_filter = ("role", "method", "end_reason")
    search_fields = ("user__username", "certificate_serial", "ip")
    date_hierarchy = "created_at"
    exclude = ("key_hash",)
    actions = ("end_sessions",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("End the selected sessions"), permissions=["view"])
    def end_sessions(
        self, request: HttpRequest, queryset: QuerySet[SessionRecord]
    ) -> None:
        if not request.user.has_perm("accounts.change_person"):
            self.message_user(request, _("Not allowed."), messages.ERROR)
            return
        count = queryset.filter(ended_at__isnull=True).update(
            ended_at=clock.now(), end_reason=SessionEndReason.ENDED_BY_STAFF.value
        )
        self.message_user(
            request,
            ngettext("%d session ended.", "%d sessions ended.", count) % count,
            messages.SUCCESS,
        )
