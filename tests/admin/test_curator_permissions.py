from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from digest.curation.services import CURATOR_GROUP, curator_group_setup
from tests.factories import PaperFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_the_curator_group_exists_after_migrate_without_the_subscriber_email_permission() -> None:
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=CURATOR_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"change_paper", "change_topic", "add_topic", "view_subscriber"} <= codenames
    assert "view_subscriber_email" not in codenames
    assert "delete_paper" not in codenames


def test_setting_up_roles_twice_keeps_permissions_an_administrator_added() -> None:
    group = curator_group_setup()
    extra = Permission.objects.get(codename="delete_author")
    group.permissions.add(extra)
    curator_group_setup()
    assert group.permissions.filter(pk=extra.pk).exists()


def test_a_curator_can_edit_papers_and_topics(curator_client: Client) -> None:
    paper, topic = PaperFactory(), TopicFactory()
    assert curator_client.get(reverse("admin:papers_paper_change", args=[paper.pk])).status_code == 200
    response = curator_client.post(
        reverse("admin:papers_topic_change", args=[topic.pk]),
        {
            "name": "Renamed",
            "slug": topic.slug,
            "description": "",
            "keywords": "graphs",
            "created_at_0": "2026-01-01",
            "created_at_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content
    topic.refresh_from_db()
    assert topic.name == "Renamed"


def test_a_curator_sees_subscribers_without_their_addresses(curator_client: Client) -> None:
    subscriber = SubscriberFactory(email="secret.reader@example.org", consent_ip="198.51.100.77")
    listing = curator_client.get(reverse("admin:subscriptions_subscriber_changelist"))
    detail = curator_client.get(reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk]))
    assert listing.status_code == 200 and detail.status_code == 200
    assert b"secret.reader" not in listing.content
    assert b"secret.reader" not in detail.content
    assert b"198.51.100.77" not in detail.content


def test_a_curator_cannot_search_subscribers_by_address(curator_client: Client) -> None:
    SubscriberFactory(email="secret.reader@example.org")
    SubscriberFactory(email="other@example.org")
    response = curator_client.get(
        reverse("admin:subscriptions_subscriber_changelist"), {"q": "secret.reader"}
    )
    assert response.context["cl"].result_count == 0


def test_a_curator_cannot_see_deliveries(curator_client: Client) -> None:
    assert curator_client.get(reverse("admin:delivery_delivery_changelist")).status_code == 403


def test_staff_with_the_email_permission_see_addresses(db: None) -> None:
    subscriber = SubscriberFactory(email="visible.reader@example.org")
    user = User.objects.create_user("support", password="pw", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_subscriber"),
        Permission.objects.get(codename="view_subscriber_email"),
    )
    client = Client()
    client.force_login(user)
    assert (
        b"visible.reader@example.org"
        in client.get(reverse("admin:subscriptions_subscriber_changelist")).content
    )
    detail = client.get(reverse("admin:subscriptions_subscriber_change", args=[subscriber.pk]))
    assert b"visible.reader@example.org" in detail.content


def test_superusers_see_addresses(admin_client: Client) -> None:
    SubscriberFactory(email="visible.reader@example.org")
    assert (
        b"visible.reader@example.org"
        in admin_client.get(reverse("admin:subscriptions_subscriber_changelist")).content
    )


def test_a_curator_cannot_delete_papers(curator_client: Client) -> None:
    paper = PaperFactory()
    assert curator_client.get(reverse("admin:papers_paper_delete", args=[paper.pk])).status_code == 403
