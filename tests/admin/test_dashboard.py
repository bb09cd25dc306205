from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from digest.curation.charts import Series, daily_bars_svg, ranking_bars_svg
from tests.factories import DeliveryFactory, PaperFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("admin:dashboard")


def test_the_dashboard_charts_each_day_of_activity(curator_client: Client) -> None:
    today = timezone.now()
    PaperFactory(first_seen_at=today)
    PaperFactory(first_seen_at=today)
    SubscriberFactory(created_at=today - timedelta(days=1))
    SubscriberFactory(status="unsubscribed", unsubscribed_at=today)
    DeliveryFactory(status="sent", sent_at=today)
    DeliveryFactory(status="failed", sent_at=None, created_at=today)
    topic = TopicFactory(name="Graph <learning>")
    topic.subscribers.add(SubscriberFactory())
    content = curator_client.get(DASHBOARD).content.decode()
    day = timezone.localdate().isoformat()
    assert f"new papers on {day}: 2</title>" in content
    assert f"sent on {day}: 1</title>" in content
    assert f"failed on {day}: 1</title>" in content
    assert f"unsubscribed on {day}: 1</title>" in content
    assert f"new on {(timezone.localdate() - timedelta(days=1)).isoformat()}: 1</title>" in content
    assert "Graph &lt;learning&gt;: 1</title>" in content


def test_the_dashboard_period_can_be_chosen_and_bad_input_falls_back(curator_client: Client) -> None:
    assert curator_client.get(DASHBOARD, {"days": "7"}).context["n_days"] == 7
    assert curator_client.get(DASHBOARD, {"days": "oops"}).context["n_days"] == 30
    assert curator_client.get(DASHBOARD, {"days": "100000"}).context["n_days"] == 30


def test_the_dashboard_is_for_staff_only(client: Client) -> None:
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_a_chart_refuses_series_that_do_not_match_the_days() -> None:
    with pytest.raises(ValueError):
        daily_bars_svg(title="t", days=[timezone.localdate()], series=[Series("a", [1, 2], "#000")])


def test_chart_labels_are_escaped_and_bars_scale_to_the_largest_value() -> None:
    svg = ranking_bars_svg(title="<t>", rows=[("<b>", 10), ("c", 5)])
    assert "<b>" not in svg
    assert "&lt;t&gt;" in svg and "&lt;b&gt;" in svg
    assert 'width="390.0"' in svg and 'width="195.0"' in svg


def test_a_high_complaint_rate_is_shown_on_the_dashboard_and_the_outbox(admin_client: Client) -> None:
    from digest.delivery.models import DeliveryEvent

    delivery = DeliveryFactory(status="sent", sent_at=timezone.now())
    DeliveryEvent.objects.create(kind="complaint", subscriber=delivery.subscriber, source="smtp")
    dashboard = admin_client.get(DASHBOARD).content.decode()
    assert "Digest sending is paused" in dashboard
    outbox = admin_client.get(reverse("admin:delivery_delivery_changelist")).content.decode()
    assert "Digest sending is paused" in outbox
