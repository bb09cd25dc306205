"""Subscribers in the admin: read-mostly, every status change through the subscription services.

Addresses are shown, searched and exported only for staff holding
`subscriptions.view_subscriber_email`; curators work with subscriber numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from subscriptions.models import Subscriber
from subscriptions.services import confirmation_resend, subscriber_suppress, subscriber_unsubscribe

EMAIL_PERMISSION = "subscriptions.view_subscriber_email"


def can_see_addresses(request: HttpRequest) -> bool:
    return request.user.has_perm(EMAIL_PERMISSION)


class _Echo:
    """A write-only file for csv.writer that hands each line back, so the export streams."""

    def write(self, value: str) -> str:
        return value


def _delivery_inline() -> type[admin.TabularInline]:
    from digest.delivery.models import Delivery

    class DeliveryInline(admin.TabularInline):
        model = Delivery
        fields = ("period", "status", "sent_at", "attempts", "last_error", "open_link")
        readonly_fields = fields
        extra = 0
        max_num = 0
        can_delete = False
        ordering = ("-period",)
        verbose_name_plural = "deliveries"

        def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            return False

        @admin.display(description="delivery")
        def open_link(self, obj: Delivery) -> str:
            return format_html(
                '<a href="{}">#{}</a>', reverse("admin:delivery_delivery_change", args=[obj.pk]), obj.pk
            )

    return DeliveryInline


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("number", "address", "status", "status_reason", "frequency", "created_at", "confirmed_at")
    list_filter = ("status", "frequency", "email_format", ("created_at", admin.DateFieldListFilter))
    search_fields = ("email",)
    search_help_text = "Subscriber number, or an address (staff who may see addresses)."
    list_per_page = 100
    show_full_result_count = False
    ordering = ("-created_at",)
    actions = ("send_test_digest", "resend_confirmation", "suppress_bounced", "unsubscribe", "export_csv")
    fieldsets = (
        (None, {"fields": ("number", "address", "pending_address", "status", "status_reason")}),
        (
            "Schedule",
            {
                "fields": (
                    "frequency",
                    "weekday",
                    "send_hour",
                    "timezone",
                    "papers_per_digest",
                    "email_format",
                )
            },
        ),
        (
            "Interests",
            {"fields": ("topics_list", "keywords", "excluded_terms", "authors_list", "examples_list")},
        ),
        ("Consent record", {"fields": ("consent_at", "consent_ip", "consent_user_agent", "consent_text")}),
        (
            "History",
            {"fields": ("created_at", "confirmed_at", "paused_at", "unsubscribed_at", "soft_bounces")},
        ),
    )
    readonly_fields = (
        "number",
        "address",
        "pending_address",
        "status",
        "status_reason",
        "frequency",
        "weekday",
        "send_hour",
        "timezone",
        "papers_per_digest",
        "email_format",
        "topics_list",
        "keywords",
        "excluded_terms",
        "authors_list",
        "examples_list",
        "consent_at",
        "consent_ip",
        "consent_user_agent",
        "consent_text",
        "created_at",
        "confirmed_at",
        "paused_at",
        "unsubscribed_at",
        "soft_bounces",
    )

    def get_inlines(self, request: HttpRequest, obj: Subscriber | None) -> list[type[admin.TabularInline]]:
        return [_delivery_inline()] if obj is not None else []

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Subscribing goes through the public form and its consent record, never the admin.
        return False

    @admin.display(description="#", ordering="pk")
    def number(self, obj: Subscriber) -> str:
        return f"#{obj.pk}"

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        if can_see_addresses(request):
            return self.list_display
        return tuple(f for f in self.list_display if f != "address")

    def get_fieldsets(self, request: HttpRequest, obj: Subscriber | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if can_see_addresses(request):
            return fieldsets
        # The consent record's IP and browser identify a person as much as the address does.
        hidden = {"address", "pending_address", "consent_ip", "consent_user_agent"}
        return [
            (name, {**opts, "fields": tuple(f for f in opts["fields"] if f not in hidden)})
            for name, opts in fieldsets
        ]

    @admin.display(description="email")
    def address(self, obj: Subscriber) -> str:
        # Only ever rendered for staff with the email permission (see get_list_display/get_fieldsets).
        return obj.email

    @admin.display(description="pending new email")
    def pending_address(self, obj: Subscriber) -> str:
        return obj.pending_email or "—"

    @admin.display(description="topics")
    def topics_list(self, obj: Subscriber) -> str:
        return ", ".join(t.name for t in obj.topics.all()) or "—"

    @admin.display(description="followed authors")
    def authors_list(self, obj: Subscriber) -> str:
        return ", ".join(a.name for a in obj.followed_authors.all()) or "—"

    @admin.display(description="example papers")
    def examples_list(self, obj: Subscriber) -> str:
        papers = obj.example_papers.all()
        if not papers:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a></li>',
                ((reverse("admin:papers_paper_change", args=[p.pk]), p.title) for p in papers),
            ),
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip().lstrip("#")
        if not term:
            return queryset, False
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        if not can_see_addresses(request):
            # Searching by address would reveal it one guess at a time.
            return queryset.none(), False
        if "@" in term:
            # Lower(email) is what the unique index is built on, so this is an index lookup.
            return queryset.alias(email_lower=Lower("email")).filter(email_lower=term.lower()), False
        return queryset.filter(email__icontains=term), False

    def _ids(self, queryset: QuerySet) -> list[int]:
        return list(queryset.values_list("pk", flat=True))

    @admin.action(
        description="Send a test digest now (active subscribers, at most 20)", permissions=["change"]
    )
    def send_test_digest(self, request: HttpRequest, queryset: QuerySet) -> None:
        from digest.curation.services import digest_test_send

        ids = self._ids(queryset)[:20]
        queued = [i for i in ids if digest_test_send(subscriber_id=i) is not None]
        skipped = len(ids) - len(queued)
        text = f"Test digest queued for {len(queued)} subscriber(s)."
        if skipped:
            text += f" {skipped} skipped: not active, or no matching papers in the last 7 days."
        self.message_user(request, text, messages.SUCCESS if queued else messages.WARNING)

    @admin.action(description="Resend the confirmation (or manage) link", permissions=["change"])
    def resend_confirmation(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = self._ids(queryset)
        for subscriber_id in ids:
            confirmation_resend(subscriber_id=subscriber_id)
        self.message_user(request, f"Link mail queued for {len(ids)} subscriber(s) where it applies.")

    @admin.action(description="Suppress (address bounced): stop all mail", permissions=["change"])
    def suppress_bounced(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = sum(subscriber_suppress(subscriber_id=i, reason="bounced") for i in self._ids(queryset))
        self.message_user(request, f"{changed} subscriber(s) suppressed.", messages.SUCCESS)

    @admin.action(description="Unsubscribe", permissions=["change"])
    def unsubscribe(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = sum(subscriber_unsubscribe(subscriber_id=i, source="admin") for i in self._ids(queryset))
        self.message_user(request, f"{changed} subscriber(s) unsubscribed.", messages.SUCCESS)

    @admin.action(description="Export as CSV", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> StreamingHttpResponse:
        from digest.curation.selectors import subscriber_export_rows

        writer = csv.writer(_Echo())
        rows = subscriber_export_rows(queryset=queryset, include_email=can_see_addresses(request))

        def lines() -> Iterator[str]:
            for row in rows:
                yield writer.writerow(row)

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="subscribers-{timezone.now():%Y%m%d-%H%M}.csv"'
        )
        return response
