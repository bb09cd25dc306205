from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.safestring import mark_safe

from digest.curation.charts import Series, daily_bars_svg, ranking_bars_svg
from digest.curation.selectors import daily_counts, days_back, delivery_daily_counts, most_followed_topics
from digest.papers.models import Paper

DAY_CHOICES = (7, 30, 90)


def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Charts of the instance's activity; any staff member may look (no addresses are shown)."""
    from django.contrib import admin

    from subscriptions.models import Subscriber

    try:
        n_days = int(request.GET.get("days", 30))
    except ValueError:
        n_days = 30
    if n_days not in DAY_CHOICES:
        n_days = 30
    days = days_back(days=n_days)
    charts = []
    sent, failed = delivery_daily_counts(days=days)
    charts.append(
        daily_bars_svg(
            title="Digests sent and failed per day",
            days=days,
            series=[Series("sent", sent, "#2e7d32"), Series("failed", failed, "#c62828")],
        )
    )
    charts.append(
        daily_bars_svg(
            title="New subscribers and unsubscribes per day",
            days=days,
            series=[
                Series(
                    "new",
                    daily_counts(queryset=Subscriber.objects.all(), field="created_at", days=days),
                    "#1565c0",
                ),
                Series(
                    "unsubscribed",
                    daily_counts(
                        queryset=Subscriber.objects.filter(unsubscribed_at__isnull=False),
                        field="unsubscribed_at",
                        days=days,
                    ),
                    "#ef6c00",
                ),
            ],
        )
    )
    charts.append(
        daily_bars_svg(
            title="Papers ingested per day",
            days=days,
            series=[
                Series(
                    "new papers",
                    daily_counts(queryset=Paper.objects.all(), field="first_seen_at", days=days),
                    "#6a1b9a",
                )
            ],
        )
    )
    charts.append(
        ranking_bars_svg(title="Most followed topics (active subscribers)", rows=most_followed_topics())
    )
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "charts": [mark_safe(svg) for svg in charts],
        "day_choices": DAY_CHOICES,
        "n_days": n_days,
    }
    return TemplateResponse(request, "admin/curation/dashboard.html", context)
