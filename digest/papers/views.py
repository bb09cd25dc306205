"""Public pages: home (latest, trending, search and filters), paper, author and topic."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from digest.feeds import selectors
from digest.papers.models import Author, Paper, Topic

PAGE_SIZE = 20
TOPIC_PAGE_MATCHES = 20


class BrowseForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.all(), required=False, to_field_name="slug", empty_label="All topics"
    )
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("“From” must be on or before “To”.")
        return data


def feed_links(kind: str, *args: object, title: str) -> list[dict[str, str]]:
    """`<link rel="alternate">` data for a feed pair, also shown as visible links."""
    return [
        {
            "type": "application/rss+xml",
            "label": "RSS",
            "title": f"{title} (RSS)",
            "href": reverse(f"feed-{kind}-rss", args=args),
        },
        {
            "type": "application/atom+xml",
            "label": "Atom",
            "title": f"{title} (Atom)",
            "href": reverse(f"feed-{kind}-atom", args=args),
        },
    ]


def latest_feed_links() -> list[dict[str, str]]:
    return feed_links("latest", title="Latest papers")


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    form = BrowseForm(request.GET or None)
    filtered = False
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filtered = any(data.values())
        papers = selectors.papers_browse(
            q=data["q"] or "", topic=data["topic"], date_from=data["date_from"], date_to=data["date_to"]
        )
    else:
        papers = selectors.papers_browse()
    page = Paginator(selectors.with_authors(papers), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    show_trending = page.number == 1 and not filtered and not form.errors
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "filtered": filtered,
        "trending": selectors.trending_papers() if show_trending else [],
        "topics": Topic.objects.all(),
        "feeds": latest_feed_links(),
    }
    return render(request, "papers/home.html", context, status=status)


def _with_author_links(papers: list[Paper]) -> list[Paper]:
    """Papers from the matching selectors come without authorships; fetch them in one query."""
    prefetch_related_objects(papers, selectors.authorships_prefetch())
    return papers


def _similar(paper: Paper) -> list[Paper]:
    return _with_author_links(selectors.similar_recent(paper=paper))


@require_safe
def paper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    paper = get_object_or_404(selectors.with_authors(Paper.objects.visible()), pk=pk)
    authors = [a.author for a in paper.authorships.all()]
    feeds = latest_feed_links()
    for author in authors[:3]:
        feeds += feed_links("author", author.pk, title=f"Papers by {author.name}")
    context = {"paper": paper, "authors": authors, "similar": _similar(paper), "feeds": feeds}
    return render(request, "papers/paper_detail.html", context)


@require_safe
def author_detail(request: HttpRequest, pk: int) -> HttpResponse:
    author = get_object_or_404(Author, pk=pk)
    page = Paginator(selectors.author_papers(author=author), PAGE_SIZE).get_page(request.GET.get("page"))
    feeds = feed_links("author", author.pk, title=f"Papers by {author.name}")
    return render(request, "papers/author_detail.html", {"author": author, "page": page, "feeds": feeds})


@require_safe
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    state = selectors.topic_state(slug=slug)
    if state is None:
        raise Http404("No such topic")
    topic = state.obj
    ranked = selectors.topic_recent(state=state)[:TOPIC_PAGE_MATCHES]
    _with_author_links([r.paper for r in ranked])
    feeds = feed_links("topic", topic.slug, title=topic.name)
    context = {"topic": topic, "ranked": ranked, "feeds": feeds}
    return render(request, "papers/topic_detail.html", context)
