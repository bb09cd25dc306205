"""Curation of papers, authors, topics and ingestion sources. Every bulk change calls a service."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme

from digest.curation.search import papers_matching_all, papers_matching_any
from digest.curation.selectors import paper_reach
from digest.curation.services import MergeError, papers_feature, papers_hide, papers_merge, sources_ingest_now
from digest.papers.models import Author, IngestRun, Paper, Source, Topic

ARXIV_ID = re.compile(
    r"^(?:arxiv:|https?://arxiv\.org/(?:abs|pdf)/)?(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?$",
    re.I,
)
PREVIEW_DAYS = (7, 30, 90, 365)
PREVIEW_LIMIT = 20


def _default_preview_days() -> int:
    """30 days, or the shortest window that reaches the newest visible paper: an instance whose
    sources paused (or the demo's older sample) still shows a preview by default."""
    latest = Paper.objects.visible().order_by("-published_at").values_list("published_at", flat=True).first()
    if latest is None:
        return 30
    age = timezone.now() - latest
    return next((d for d in PREVIEW_DAYS if d >= 30 and age <= timedelta(days=d)), PREVIEW_DAYS[-1])


def _terms(search_term: str) -> list[str]:
    """Words, with "quoted phrases" kept together, as the admin's own search splits them."""
    return [a or b for a, b in re.findall(r'"([^"]+)"|(\S+)', search_term) if (a or b).strip()]


def _distinct_cached(field: str) -> list[str]:
    """The distinct values of a low-cardinality paper column, cached: the list page must not scan
    every paper for its filter choices on each load."""

    def load() -> list[str]:
        return sorted(v for v in Paper.objects.order_by().values_list(field, flat=True).distinct() if v)

    return cache.get_or_set(f"admin:paper-distinct:{field}", load, 600)


class SourceKindFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        kinds = sorted({kind for value in _distinct_cached("sources") for kind in value.split()})
        return [(k, k) for k in kinds]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        kind = self.value()
        if not kind:
            return queryset
        # `sources` holds a few distinct combinations ("hf", "hf arxiv", ...): an equality on each
        # is cheaper than matching the word inside every row.
        values = [v for v in _distinct_cached("sources") if kind in v.split()]
        fresh = (
            Q(sources__startswith=f"{kind} ")
            | Q(sources__endswith=f" {kind}")
            | Q(sources__contains=f" {kind} ")
        )
        # Rows written since the choices were cached may hold a new combination; they are recent.
        return queryset.filter(
            Q(sources__in=[*values, kind])
            | (Q(modified_at__gte=timezone.now() - timedelta(minutes=15)) & fresh)
        )


class CategoryFilter(admin.SimpleListFilter):
    title = "primary category"
    parameter_name = "primary_category"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(c, c) for c in _distinct_cached("primary_category")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(primary_category=self.value()) if self.value() else queryset


class TopicFilter(admin.SimpleListFilter):
    """Papers a topic's keywords or phrases appear in (title or abstract), or its example papers."""

    title = "topic (keywords)"
    parameter_name = "topic"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Topic.objects.values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        topic = Topic.objects.filter(pk=self.value()).first() if self.value().isdigit() else None
        if topic is None:
            return queryset.none()
        phrases = [k.strip('"').strip() for k in topic.keyword_list]
        examples = list(topic.example_papers.values_list("pk", flat=True))
        return papers_matching_any(queryset, [p for p in phrases if p], or_ids=examples)


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = (
        "short_title",
        "arxiv_id",
        "published_at",
        "primary_category",
        "sources",
        "has_code",
        "hidden",
        "featured",
    )
    list_display_links = ("short_title",)
    list_filter = (
        ("published_at", admin.DateFieldListFilter),
        SourceKindFilter,
        CategoryFilter,
        TopicFilter,
        "hidden",
        "featured",
        "has_code",
    )
    # The real search is get_search_results; these satisfy autocomplete's check and its help text.
    search_fields = ("title", "abstract", "author_names", "arxiv_id")
    search_help_text = 'Words of the title, abstract or authors (word starts match; "quoted phrase" allowed), or an arXiv id.'
    list_per_page = 50
    show_full_result_count = False
    ordering = ("-published_at", "-id")
    actions = ("hide_papers", "unhide_papers", "feature_papers", "unfeature_papers", "merge_papers")
    readonly_fields = (
        "key",
        "title_key",
        "first_seen_at",
        "modified_at",
        "content_hash",
        "reach",
        "aliases_list",
    )
    fieldsets = (
        (None, {"fields": ("title", "abstract", "author_names", "hidden", "featured")}),
        (
            "Identity",
            {"fields": ("key", "arxiv_id", "arxiv_version", "title_key", "aliases_list", "content_hash")},
        ),
        (
            "Metadata",
            {
                "fields": (
                    "categories",
                    "primary_category",
                    "sources",
                    "code_urls",
                    "project_urls",
                    "has_code",
                    "upvotes",
                    "published_at",
                    "updated_at",
                    "first_seen_at",
                    "modified_at",
                )
            },
        ),
        ("Reach", {"fields": ("reach",)}),
    )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # Deleting a paper loses its feedback and history; duplicates are merged instead.
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Paper | None = None) -> bool:
        return request.user.is_superuser

    @admin.display(description="title", ordering="title")
    def short_title(self, obj: Paper) -> str:
        return obj.title if len(obj.title) <= 110 else obj.title[:109] + "…"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        arxiv = ARXIV_ID.match(term)
        if arxiv:
            return queryset.filter(arxiv_id=arxiv.group(1)), False
        return papers_matching_all(queryset, _terms(term)), False

    @admin.display(description="matched")
    def reach(self, obj: Paper) -> str:
        if obj.pk is None:
            return "—"
        reach = paper_reach(paper=obj)
        topics = format_html_join(
            "", "<li>{} — {} matched subscriber(s) follow it</li>", ((t.name, n) for t, n in reach.topics)
        )
        return format_html(
            "<p>Matched to {} subscriber(s).</p><ul>{}</ul>",
            reach.subscribers,
            topics or format_html("<li>{}</li>", "No topic of a matched subscriber"),
        )

    @admin.display(description="merged keys")
    def aliases_list(self, obj: Paper) -> str:
        if obj.pk is None:
            return "—"
        aliases = list(obj.aliases.all())
        if not aliases:
            return "—"
        return format_html_join(", ", "{} ({})", ((a.key, f"{a.merged_at:%Y-%m-%d}") for a in aliases))

    def save_model(self, request: HttpRequest, obj: Paper, form: forms.ModelForm, change: bool) -> None:
        # Feeds derive Last-Modified from this; any curator edit is a modification.
        obj.modified_at = timezone.now()
        super().save_model(request, obj, form, change)

    def _selected_ids(self, queryset: QuerySet) -> list[int]:
        return list(queryset.values_list("pk", flat=True))

    @admin.action(description="Hide from digests and feeds", permissions=["change"])
    def hide_papers(self, request: HttpRequest, queryset: QuerySet) -> None:
        n = papers_hide(paper_ids=self._selected_ids(queryset), hidden=True)
        self.message_user(request, f"{n} paper(s) hidden.", messages.SUCCESS)

    @admin.action(description="Show again in digests and feeds", permissions=["change"])
    def unhide_papers(self, request: HttpRequest, queryset: QuerySet) -> None:
        n = papers_hide(paper_ids=self._selected_ids(queryset), hidden=False)
        self.message_user(request, f"{n} paper(s) shown again.", messages.SUCCESS)

    @admin.action(description="Feature", permissions=["change"])
    def feature_papers(self, request: HttpRequest, queryset: QuerySet) -> None:
        n = papers_feature(paper_ids=self._selected_ids(queryset), featured=True)
        self.message_user(request, f"{n} paper(s) featured.", messages.SUCCESS)

    @admin.action(description="Stop featuring", permissions=["change"])
    def unfeature_papers(self, request: HttpRequest, queryset: QuerySet) -> None:
        n = papers_feature(paper_ids=self._selected_ids(queryset), featured=False)
        self.message_user(request, f"{n} paper(s) no longer featured.", messages.SUCCESS)

    @admin.action(description="Merge selected duplicates…", permissions=["change"])
    def merge_papers(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        papers = list(queryset.order_by("first_seen_at", "pk")[:21])
        if len(papers) < 2:
            self.message_user(request, "Select at least two papers to merge.", messages.WARNING)
            return None
        if len(papers) > 20:
            self.message_user(request, "Merge at most 20 papers at a time.", messages.WARNING)
            return None
        if "apply" in request.POST:
            try:
                keep_id = int(request.POST.get("keep", ""))
            except ValueError:
                keep_id = 0
            ids = [p.pk for p in papers]
            if keep_id not in ids:
                self.message_user(request, "Choose which paper to keep.", messages.ERROR)
            else:
                try:
                    result = papers_merge(
                        keep_id=keep_id,
                        duplicate_ids=[i for i in ids if i != keep_id],
                        actor=request.user.get_username(),
                    )
                except MergeError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                    return None
                self.log_change(request, result.kept, f"Merged duplicates {', '.join(result.merged_keys)}")
                self.message_user(
                    request,
                    f"Merged {len(result.merged_keys)} duplicate(s) into “{result.kept.title}”.",
                    messages.SUCCESS,
                )
                return None
        # The kept paper defaults to the one with an arXiv id, else the first seen.
        default_keep = next((p for p in papers if p.arxiv_id), papers[0])
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge duplicate papers",
            "papers": papers,
            "default_keep": default_keep.pk,
            "opts": self.model._meta,
            "action_name": "merge_papers",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/papers/paper/merge.html", context)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:paper_id>/visibility/",
                self.admin_site.admin_view(self.visibility_view),
                name="papers_paper_visibility",
            ),
            *super().get_urls(),
        ]

    def visibility_view(self, request: HttpRequest, paper_id: int) -> HttpResponse:
        """Hide or show one paper from anywhere in the admin (the topic preview has a button)."""
        if request.method != "POST":
            return HttpResponse("Use POST.", status=405)
        paper = get_object_or_404(Paper, pk=paper_id)
        if not self.has_change_permission(request, paper):
            raise PermissionDenied
        hidden = request.POST.get("hidden", "1") == "1"
        papers_hide(paper_ids=[paper.pk], hidden=hidden)
        self.log_change(request, paper, "Hidden" if hidden else "Shown again")
        self.message_user(
            request, f"“{paper.title}” {'hidden' if hidden else 'shown again'}.", messages.SUCCESS
        )
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:papers_paper_change", args=[paper.pk])
        return HttpResponseRedirect(target)


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "match_key")
    search_fields = ("name", "key")
    list_per_page = 100
    show_full_result_count = False
    readonly_fields = ("recent_papers",)

    @admin.display(description="papers")
    def recent_papers(self, obj: Author) -> str:
        if obj.pk is None:
            return "—"
        papers = obj.papers.order_by("-published_at")[:20]
        return format_html_join(
            "",
            '<li><a href="{}">{}</a></li>',
            ((reverse("admin:papers_paper_change", args=[p.pk]), p.title) for p in papers),
        )


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "subscriber_count", "keyword_count", "created_at")
    search_fields = ("name", "slug", "keywords")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("example_papers",)
    readonly_fields = ("subscriber_count",)
    fields = ("name", "slug", "description", "keywords", "example_papers", "created_at", "subscriber_count")
    change_form_template = "admin/papers/topic/change_form.html"

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> forms.Field | None:
        if db_field.name == "keywords":
            # The preview script finds the keywords box by this attribute.
            kwargs["widget"] = forms.Textarea(attrs={"rows": 8, "cols": 60, "data-preview-input": "keywords"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # A correlated count on the (indexed) link table: no GROUP BY over every subscription.
        through = Topic.subscribers.through
        counts = (
            through.objects.filter(topic_id=OuterRef("pk"))
            .order_by()
            .values("topic_id")
            .annotate(n=Count("*"))  # COUNT(*): an index-only scan of topic_id
            .values("n")
        )
        return super().get_queryset(request).annotate(n_subscribers=Coalesce(Subquery(counts), 0))

    @admin.display(description="subscribers", ordering="n_subscribers")
    def subscriber_count(self, obj: Topic) -> int:
        n = getattr(obj, "n_subscribers", None)
        if n is None:
            return obj.subscribers.count() if obj.pk else 0
        return n

    @admin.display(description="keywords")
    def keyword_count(self, obj: Topic) -> int:
        return len(obj.keyword_list)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:topic_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="papers_topic_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, topic_id: int) -> HttpResponse:
        """What the topic matches in the last N days. `keywords` in the query string previews an
        unsaved edit: the topic is ranked with them in memory, nothing is written."""
        topic = get_object_or_404(Topic, pk=topic_id)
        if not self.has_view_permission(request, topic):
            raise PermissionDenied
        return TemplateResponse(
            request, "admin/papers/topic/preview.html", self.preview_context(request, topic)
        )

    def preview_context(self, request: HttpRequest, topic: Topic) -> dict[str, Any]:
        from digest.matching.selectors import topic_ranking

        try:
            days = int(request.GET.get("days", 0))
        except ValueError:
            days = 0
        if days not in PREVIEW_DAYS:
            days = _default_preview_days()
        if "keywords" in request.GET:
            topic.keywords = request.GET["keywords"][:5000]
        ranked = topic_ranking(topic=topic, since=timezone.now() - timedelta(days=days), limit=PREVIEW_LIMIT)
        return {
            "topic": topic,
            "ranked": ranked,
            "days": days,
            "day_choices": PREVIEW_DAYS,
            "can_hide": request.user.has_perm("papers.change_paper"),
            "unsaved": "keywords" in request.GET,
            "next": reverse("admin:papers_topic_change", args=[topic.pk]),
        }

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        topic = self.get_object(request, object_id)
        if topic is not None and request.method == "GET":
            extra_context["preview"] = self.preview_context(request, topic)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "format", "interval_minutes", "enabled", "last_ingested_at", "last_run")
    list_filter = ("enabled", "format")
    search_fields = ("name", "url")
    actions = ("ingest_now",)
    readonly_fields = ("last_ingested_at", "run_history")
    fields = ("name", "url", "format", "interval_minutes", "enabled", "last_ingested_at", "run_history")
    change_form_template = "admin/papers/source/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        latest = IngestRun.objects.filter(source=OuterRef("pk")).order_by("-started_at")
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_status=Subquery(latest.values("status")[:1]),
                last_rejected=Subquery(latest.values("rejected")[:1]),
            )
        )

    @admin.display(description="last run")
    def last_run(self, obj: Source) -> str:
        if not getattr(obj, "last_status", None):
            return "never"
        return f"{obj.last_status} ({obj.last_rejected} rejected)"

    @admin.display(description="run history")
    def run_history(self, obj: Source) -> str:
        if obj.pk is None:
            return "—"
        runs = list(obj.runs.order_by("-started_at")[:20])
        if not runs:
            return "No runs yet."
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:papers_ingestrun_change", args=[r.pk]),
                    f"{r.started_at:%Y-%m-%d %H:%M}",
                    r.status,
                    r.new,
                    r.updated,
                    r.unchanged,
                    r.rejected,
                    r.error[:200],
                )
                for r in runs
            ),
        )
        all_runs = reverse("admin:papers_ingestrun_changelist") + f"?source__id__exact={obj.pk}"
        return format_html(
            "<table><thead><tr><th>started</th><th>status</th><th>new</th><th>updated</th><th>unchanged</th>"
            '<th>rejected</th><th>error</th></tr></thead><tbody>{}</tbody></table><p><a href="{}">All runs</a></p>',
            rows,
            all_runs,
        )

    @admin.action(description="Ingest now", permissions=["change"])
    def ingest_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        n = sources_ingest_now(source_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            f"Ingestion started for {n} source(s); runs appear below as they finish.",
            messages.SUCCESS,
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:source_id>/ingest/",
                self.admin_site.admin_view(self.ingest_view),
                name="papers_source_ingest",
            ),
            *super().get_urls(),
        ]

    def ingest_view(self, request: HttpRequest, source_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse("Use POST.", status=405)
        source = get_object_or_404(Source, pk=source_id)
        if not self.has_change_permission(request, source):
            raise PermissionDenied
        sources_ingest_now(source_ids=[source.pk])
        self.log_change(request, source, "Ingest now")
        self.message_user(request, f"Ingestion of “{source.name}” started.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:papers_source_change", args=[source.pk]))


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "source",
        "location_short",
        "format",
        "status",
        "new",
        "updated",
        "unchanged",
        "rejected",
    )
    list_filter = ("status", "source", "format")
    list_select_related = ("source",)
    search_fields = ("location",)
    date_hierarchy = "started_at"
    readonly_fields = ("rejects_table",)
    exclude = ("rejects",)
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: IngestRun | None = None) -> bool:
        return False

    @admin.display(description="location")
    def location_short(self, obj: IngestRun) -> str:
        return obj.location if len(obj.location) <= 80 else "…" + obj.location[-79:]

    @admin.display(description="rejected records")
    def rejects_table(self, obj: IngestRun) -> str:
        if not obj.rejects:
            return "None."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
            ((r.get("record", "?"), r.get("reason", "")) for r in obj.rejects if isinstance(r, dict)),
        )
        return format_html(
            "<table><thead><tr><th>record</th><th>reason</th></tr></thead><tbody>{}</tbody></table>", rows
        )
