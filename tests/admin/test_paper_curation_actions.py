from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from digest.curation.models import PaperAlias
from digest.papers.models import Paper
from tests.factories import MatchFactory, PaperFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:papers_paper_changelist")


def _action(client: Client, action: str, papers: list[Paper], **extra: str) -> object:
    return client.post(CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [p.pk for p in papers], **extra})


def test_hiding_papers_from_the_list_hides_them_and_marks_them_modified(curator_client: Client) -> None:
    papers = [PaperFactory(), PaperFactory()]
    before = {p.pk: p.modified_at for p in papers}
    response = _action(curator_client, "hide_papers", papers)
    assert response.status_code == 302
    for paper in Paper.objects.filter(pk__in=before):
        assert paper.hidden and paper.modified_at > before[paper.pk]


def test_unhiding_and_featuring_go_both_ways(curator_client: Client) -> None:
    paper = PaperFactory(hidden=True)
    _action(curator_client, "unhide_papers", [paper])
    _action(curator_client, "feature_papers", [paper])
    paper.refresh_from_db()
    assert not paper.hidden and paper.featured
    _action(curator_client, "unfeature_papers", [paper])
    paper.refresh_from_db()
    assert not paper.featured


def test_the_hide_button_hides_one_paper_and_returns_to_the_page_it_came_from(curator_client: Client) -> None:
    paper, topic = PaperFactory(), TopicFactory()
    back = reverse("admin:papers_topic_change", args=[topic.pk])
    response = curator_client.post(
        reverse("admin:papers_paper_visibility", args=[paper.pk]), {"hidden": "1", "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    paper.refresh_from_db()
    assert paper.hidden
    assert LogEntry.objects.filter(object_id=str(paper.pk), change_message="Hidden").exists()


def test_the_hide_button_refuses_a_redirect_off_site(curator_client: Client) -> None:
    paper = PaperFactory()
    response = curator_client.post(
        reverse("admin:papers_paper_visibility", args=[paper.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("admin:papers_paper_change", args=[paper.pk])


def test_merge_asks_which_paper_to_keep_then_merges(curator_client: Client) -> None:
    keep, dup = PaperFactory(), PaperFactory(arxiv_id=None, key="title:dup")
    page = _action(curator_client, "merge_papers", [keep, dup])
    assert page.status_code == 200
    assert b"Merge duplicate papers" in page.content
    assert Paper.objects.count() == 2

    done = _action(curator_client, "merge_papers", [keep, dup], apply="1", keep=str(keep.pk))
    assert done.status_code == 302
    assert list(Paper.objects.all()) == [keep]
    assert PaperAlias.objects.get().key == "title:dup"
    page = curator_client.get(reverse("admin:papers_paper_change", args=[keep.pk])).content.decode()
    assert "title:dup (" in page


def test_merge_with_a_paper_to_keep_outside_the_selection_changes_nothing(curator_client: Client) -> None:
    a, b, outsider = PaperFactory(), PaperFactory(), PaperFactory()
    _action(curator_client, "merge_papers", [a, b], apply="1", keep=str(outsider.pk))
    assert Paper.objects.count() == 3


def test_the_paper_page_shows_how_many_subscribers_and_which_topics_it_matched(
    curator_client: Client,
) -> None:
    paper, topic = PaperFactory(), TopicFactory(name="Graph learning")
    follower, other = SubscriberFactory(), SubscriberFactory()
    follower.topics.add(topic)
    MatchFactory(paper=paper, subscriber=follower)
    MatchFactory(paper=paper, subscriber=other)
    content = curator_client.get(reverse("admin:papers_paper_change", args=[paper.pk])).content.decode()
    assert "Matched to 2 subscriber(s)." in content
    assert "Graph learning — 1 matched subscriber(s) follow it" in content


def test_a_title_with_markup_is_shown_as_text(curator_client: Client) -> None:
    PaperFactory(title="<script>alert(1)</script> on $\\alpha$")
    content = curator_client.get(CHANGELIST).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
