"""The outbox in the admin: status, errors, retries and the messages themselves.

Addresses (a transactional mail's `to`, an event's recipient, a digest's subscriber) are shown
only to staff with `subscriptions.view_subscriber_email`.
"""

from __future__ import annotations

import email
import email.policy
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, QuerySet, Value
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from digest.curation.services import deliveries_retry
from digest.delivery.models import Delivery, DeliveryEvent, DeliveryItem, OutboxStatus, TransactionalEmail
from digest.delivery.rendering import digest_message_bytes
from subscriptions.admin import can_see_addresses
from subscriptions.models import Subscriber


def _with_visibility(queryset: QuerySet, request: HttpRequest) -> QuerySet:
    # ModelAdmin instances are shared by all requests: the permission rides on each row instead.
    return queryset.annotate(addresses_visible=Value(can_see_addresses(request), output_field=BooleanField()))


def _subscriber_link(obj: Any) -> str:
    if obj.subscriber_id is None:
        return "—"
    subscriber_id = obj.subscriber_id
    label = obj.subscriber.email if getattr(obj, "addresses_visible", False) else f"#{subscriber_id}"
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:subscriptions_subscriber_change", args=[subscriber_id]), label
    )


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryItemInline(_ReadOnly, admin.TabularInline):
    model = DeliveryItem
    fields = ("position", "paper", "score", "why")
    readonly_fields = fields
    extra = 0
    max_num = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("paper")


@admin.register(Delivery)
class DeliveryAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "number",
        "period",
        "recipient",
        "status",
        "attempts",
        "sent_at",
        "short_error",
        "may_have_sent",
        "created_at",
    )
    list_filter = ("status", ("period", admin.DateFieldListFilter), "may_have_sent")
    list_select_related = ("subscriber",)
    search_fields = ("subject",)
    search_help_text = (
        "Delivery number, subscriber #number, or subject words (addresses for staff who may see them)."
    )
    list_per_page = 100
    show_full_result_count = False
    ordering = ("-created_at",)
    inlines = (DeliveryItemInline,)
    actions = ("retry_failed",)
    readonly_fields = (
        "recipient",
        "period",
        "status",
        "subject",
        "covers_since",
        "covers_until",
        "created_at",
        "prepared_at",
        "claimed_at",
        "sent_at",
        "next_attempt_at",
        "attempts",
        "may_have_sent",
        "last_error",
    )
    fields = readonly_fields
    change_form_template = "admin/delivery/delivery/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return _with_visibility(super().get_queryset(request), request)

    @admin.action(description="Retry the selected failed deliveries", permissions=["change"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.values_list("pk", flat=True)[:1000])
        retried = deliveries_retry(delivery_ids=ids)
        text, level = _retry_message(request, len(retried), len(ids) - len(retried))
        self.message_user(request, text, level)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:delivery_id>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="delivery_delivery_retry",
            ),
            path(
                "<int:delivery_id>/message/",
                self.admin_site.admin_view(self.message_view),
                name="delivery_delivery_message",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        from digest.curation.selectors import delivery_health_cached

        health = delivery_health_cached()
        if health.paused:
            self.message_user(
                request,
                f"Digest sending is paused: {health.complaints_last_day} spam complaint(s) for "
                f"{health.sent_last_day} digest(s) in the last day.",
                messages.ERROR,
            )
        elif health.warning:
            self.message_user(
                request,
                f"Spam complaints are high: {health.complaints_last_day} for {health.sent_last_day} digest(s) "
                "in the last day.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def retry_view(self, request: HttpRequest, delivery_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse("Use POST.", status=405)
        delivery = get_object_or_404(Delivery, pk=delivery_id)
        if not self.has_change_permission(request, delivery):
            raise PermissionDenied
        retried = deliveries_retry(delivery_ids=[delivery.pk])
        if retried:
            self.log_change(request, delivery, "Retried")
        text, level = _retry_message(request, len(retried), 1 - len(retried))
        self.message_user(request, text, level)
        return HttpResponseRedirect(reverse("admin:delivery_delivery_change", args=[delivery.pk]))

    def message_view(self, request: HttpRequest, delivery_id: int) -> HttpResponse:
        """The digest's message rebuilt from its frozen papers by the same code that sent it:
        headers, plain text and HTML (sandboxed), or the raw .eml. It holds the address and the
        subscriber's personal links, so it needs the address permission too."""
        delivery = get_object_or_404(Delivery.objects.select_related("subscriber"), pk=delivery_id)
        if not self.has_view_permission(request, delivery) or not can_see_addresses(request):
            raise PermissionDenied
        items = list(delivery.items.select_related("paper"))
        if not items:
            self.message_user(
                request, "This delivery has no papers, so there is no message to show.", messages.WARNING
            )
            return HttpResponseRedirect(reverse("admin:delivery_delivery_change", args=[delivery.pk]))
        raw, _subject = digest_message_bytes(delivery=delivery, items=items)
        if request.GET.get("raw"):
            response = HttpResponse(raw, content_type="message/rfc822")
            response["Content-Disposition"] = f'attachment; filename="delivery-{delivery.pk}.eml"'
            return response
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        text = parsed.get_body(("plain",))
        html = parsed.get_body(("html",))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Message of delivery #{delivery.pk}",
            "opts": self.model._meta,
            "delivery": delivery,
            "headers": [(k, str(v)) for k, v in parsed.items()],
            "text": text.get_content() if text else "",
            "html": html.get_content() if html else "",
        }
        return TemplateResponse(request, "admin/delivery/delivery/message.html", context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        delivery = self.get_object(request, object_id)
        if delivery is not None:
            extra_context["can_retry"] = (
                delivery.status == OutboxStatus.FAILED and self.has_change_permission(request, delivery)
            )
            if can_see_addresses(request) and delivery.prepared_at is not None:
                extra_context["message_url"] = reverse("admin:delivery_delivery_message", args=[delivery.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The subscriber page links here filtered by subscriber.
        return lookup == "subscriber__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="#", ordering="pk")
    def number(self, obj: Delivery) -> str:
        return f"#{obj.pk}"

    @admin.display(description="subscriber")
    def recipient(self, obj: Delivery) -> str:
        return _subscriber_link(obj)

    @admin.display(description="error")
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:80] + ("…" if len(obj.last_error) > 80 else "")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.startswith("#") and term[1:].isdigit():
            return queryset.filter(subscriber_id=int(term[1:])), False
        if term.isdigit():
            return queryset.filter(pk=int(term)), False
        if "@" in term:
            if not can_see_addresses(request):
                return queryset.none(), False
            # Resolve the address first through the Lower(email) unique index, then filter by id.
            subscriber_ids = Subscriber.objects.alias(email_lower=Lower("email")).filter(
                email_lower=term.lower()
            )
            return queryset.filter(subscriber_id__in=list(subscriber_ids.values_list("pk", flat=True))), False
        # Free text over a million subjects would be a full scan; numbers and addresses are indexed.
        return queryset.none(), False


@admin.register(TransactionalEmail)
class TransactionalEmailAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "number",
        "name",
        "recipient",
        "status",
        "attempts",
        "created_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "name")
    list_per_page = 100
    show_full_result_count = False
    ordering = ("-created_at",)
    readonly_fields = (
        "recipient",
        "name",
        "subject",
        "status",
        "created_at",
        "claimed_at",
        "sent_at",
        "next_attempt_at",
        "attempts",
        "may_have_sent",
        "last_error",
        "text",
        "html_preview",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return _with_visibility(super().get_queryset(request), request)

    @admin.display(description="#", ordering="pk")
    def number(self, obj: TransactionalEmail) -> str:
        return f"#{obj.pk}"

    @admin.display(description="to")
    def recipient(self, obj: TransactionalEmail) -> str:
        return obj.to if getattr(obj, "addresses_visible", False) else "(hidden)"

    @admin.display(description="HTML part")
    def html_preview(self, obj: TransactionalEmail) -> str:
        if not obj.html:
            return "—"
        # srcdoc is escaped and the frame sandboxed: the stored HTML is shown, never run.
        return format_html(
            '<iframe sandbox srcdoc="{}" style="width:100%;height:600px;border:1px solid #ccc"></iframe>',
            obj.html,
        )


@admin.register(DeliveryEvent)
class DeliveryEventAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "kind", "subscriber_ref", "source", "detail")
    list_filter = ("kind", "source")
    list_per_page = 100
    show_full_result_count = False
    ordering = ("-created_at",)
    readonly_fields = ("kind", "subscriber_ref", "source", "provider_event_id", "detail", "created_at")
    fields = readonly_fields

    @admin.display(description="subscriber")
    def subscriber_ref(self, obj: DeliveryEvent) -> str:
        if obj.subscriber_id is None:
            return "(unknown address)"
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("admin:subscriptions_subscriber_change", args=[obj.subscriber_id]),
            obj.subscriber_id,
        )


def _retry_message(request: HttpRequest, n: int, skipped: int) -> tuple[str, int]:
    text = f"{n} delivery(ies) queued for another attempt."
    if skipped:
        text += f" {skipped} skipped: only failed deliveries can be retried."
    return text, messages.SUCCESS if n else messages.WARNING
