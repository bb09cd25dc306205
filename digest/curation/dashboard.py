from __future__ import annotations

from datetime import date
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe

from digest.curation.charts import Series, daily_bars_svg, ranking_bars_svg
from digest.curation.selectors import (
    daily_counts,
    days_back,
    delivery_daily_counts,
    delivery_health_cached,
    most_followed_topics,
)
from digest.papers.models import Paper

DAY_CHOICES = (7, 30, 90)
# Counting a month of a million-row outbox takes a fraction of a second; the figures are per day,
# so a few minutes' delay is fine and the page stays fast for everyone after the first look.
CACHE_SECONDS = 300
CHART_TITLES = (
    "Digests sent and failed per day",
    "New subscribers and unsubscribes per day",
    "Papers ingested per day",
    "Most followed topics (active subscribers)",
)


def dashboard_data(*, days: list[date]) -> dict[str, Any]:
    from subscriptions.models import Subscriber

    sent, failed = delivery_daily_counts(days=days)
    return {
        "computed_at": timezone.now(),
        "sent": sent,
        "failed": failed,
        "new_subscribers": daily_counts(queryset=Subscriber.objects.all(), field="created_at", days=days),
        "unsubscribes": daily_counts(
            queryset=Subscriber.objects.filter(unsubscribed_at__isnull=False),
            field="unsubscribed_at",
            days=days,
        ),
        "papers": daily_counts(queryset=Paper.objects.all(), field="first_seen_at", days=days),
        "topics": most_followed_topics(),
    }


def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Charts of the instance's activity; any staff member may look (no addresses are shown)."""
    from django.contrib import admin

    try:
        n_days = int(request.GET.get("days", 30))
    except ValueError:
        n_days = 30
    if n_days not in DAY_CHOICES:
        n_days = 30
    days = days_back(days=n_days)
    key = f"admin:dashboard:{n_days}:{days[-1].isoformat()}"
    data = None if request.GET.get("refresh") else cache.get(key)
    if data is None:
        data = dashboard_data(days=days)
        cache.set(key, data, CACHE_SECONDS)
    charts = [
        daily_bars_svg(
            title=CHART_TITLES[0],
            days=days,
            series=[Series("sent", data["sent"], "#2e7d32"), Series("failed", data["failed"], "#c62828")],
        ),
        daily_bars_svg(
            title=CHART_TITLES[1],
            days=days,
            series=[
                Series("new", data["new_subscribers"], "#1565c0"),
                Series("unsubscribed", data["unsubscribes"], "#ef6c00"),
            ],
        ),
        daily_bars_svg(
            title=CHART_TITLES[2],
            days=days,
            series=[Series("new papers", data["papers"], "#6a1b9a")],
        ),
        ranking_bars_svg(title=CHART_TITLES[3], rows=data["topics"]),
    ]
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        # Built by charts.py, which escapes every label it writes.
        "charts": [(title, mark_safe(svg)) for title, svg in zip(CHART_TITLES, charts, strict=True)],
        "day_choices": DAY_CHOICES,
        "n_days": n_days,
        "computed_at": data["computed_at"],
        "health": delivery_health_cached(),
    }
    return TemplateResponse(request, "admin/curation/dashboard.html", context)
