from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from digest.curation.models import PaperAlias


@admin.register(PaperAlias)
class PaperAliasAdmin(admin.ModelAdmin):
    """The record of merges: which keys now stand for which paper. Written only by the merge."""

    list_display = ("key", "arxiv_id", "title", "paper", "merged_at", "merged_by")
    list_select_related = ("paper",)
    search_fields = ("key", "arxiv_id", "title")
    list_per_page = 100

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
