"""Matches and feedback, read-only: the engine and the subscribers write them, curators look."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from digest.matching.models import Feedback, Match


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _subscriber(obj: Match | Feedback) -> str:
    # A number, never an address: curators may read matches but not who the subscriber is.
    return format_html(
        '<a href="{}">#{}</a>',
        reverse("admin:subscriptions_subscriber_change", args=[obj.subscriber_id]),
        obj.subscriber_id,
    )


def _search(queryset: QuerySet, search_term: str) -> QuerySet:
    term = search_term.strip()
    if not term:
        return queryset
    if term.startswith("#") and term[1:].isdigit():
        return queryset.filter(subscriber_id=int(term[1:]))
    if term.isdigit():
        return queryset.filter(paper_id=int(term))
    return queryset.filter(paper__arxiv_id=term)


@admin.register(Match)
class MatchAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "subscriber_ref", "paper", "score", "why")
    list_select_related = ("paper",)
    list_filter = (("created_at", admin.DateFieldListFilter),)
    search_fields = ("paper__arxiv_id",)
    search_help_text = "Subscriber #number, paper number or arXiv id."
    list_per_page = 100
    show_full_result_count = False
    ordering = ("-created_at",)

    @admin.display(description="subscriber", ordering="subscriber_id")
    def subscriber_ref(self, obj: Match) -> str:
        return _subscriber(obj)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return _search(queryset, search_term), False


@admin.register(Feedback)
class FeedbackAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "subscriber_ref", "paper", "value")
    list_select_related = ("paper",)
    list_filter = ("value", ("created_at", admin.DateFieldListFilter))
    search_fields = ("paper__arxiv_id",)
    search_help_text = "Subscriber #number, paper number or arXiv id."
    list_per_page = 100
    show_full_result_count = False
    ordering = ("-created_at",)

    @admin.display(description="subscriber", ordering="subscriber_id")
    def subscriber_ref(self, obj: Feedback) -> str:
        return _subscriber(obj)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return _search(queryset, search_term), False
