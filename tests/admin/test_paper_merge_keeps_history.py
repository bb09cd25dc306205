from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from digest.curation.models import PaperAlias
from digest.curation.selectors import paper_alias_target
from digest.curation.services import MergeError, papers_merge
from digest.matching.models import Feedback, Match
from digest.papers.models import Paper
from tests.factories import MatchFactory, PaperFactory, SubscriberFactory, TopicFactory

pytestmark = pytest.mark.django_db


def test_merge_moves_matches_feedback_and_example_papers_to_the_kept_paper() -> None:
    keep = PaperFactory(arxiv_id=None, key="title:abc", code_urls=[], sources="hf")
    dup = PaperFactory(
        key="2405.00001", arxiv_id="2405.00001", code_urls=["https://github.com/x/y"], sources="arxiv"
    )
    reader, other = SubscriberFactory(), SubscriberFactory()
    MatchFactory(subscriber=reader, paper=dup)
    Feedback.objects.create(subscriber=reader, paper=dup, value=1)
    topic = TopicFactory()
    topic.example_papers.add(dup)
    other.example_papers.add(dup)

    result = papers_merge(keep_id=keep.pk, duplicate_ids=[dup.pk], actor="ada")

    assert not Paper.objects.filter(pk=dup.pk).exists()
    assert Match.objects.get(subscriber=reader).paper_id == keep.pk
    assert Feedback.objects.get(subscriber=reader).paper_id == keep.pk
    assert list(topic.example_papers.all()) == [keep]
    assert list(other.example_papers.all()) == [keep]
    keep.refresh_from_db()
    # The kept paper inherits what only the duplicate knew.
    assert keep.arxiv_id == "2405.00001"
    assert keep.has_code and keep.code_urls == ["https://github.com/x/y"]
    assert set(keep.sources.split()) == {"hf", "arxiv"}
    assert result.merged_keys == ["2405.00001"]


def test_merge_records_the_duplicate_key_so_ingestion_can_find_the_kept_paper() -> None:
    keep, dup = PaperFactory(), PaperFactory()
    papers_merge(keep_id=keep.pk, duplicate_ids=[dup.pk], actor="ada")

    alias = PaperAlias.objects.get(key=dup.key)
    assert alias.paper_id == keep.pk and alias.merged_by == "ada"
    assert paper_alias_target(key=dup.key) == keep
    assert paper_alias_target(arxiv_id=dup.arxiv_id) == keep


def test_when_both_papers_have_a_match_for_the_same_subscriber_the_kept_match_stays() -> None:
    keep, dup = PaperFactory(), PaperFactory()
    reader = SubscriberFactory()
    MatchFactory(subscriber=reader, paper=keep, score=0.5)
    MatchFactory(subscriber=reader, paper=dup, score=0.9)

    papers_merge(keep_id=keep.pk, duplicate_ids=[dup.pk])

    assert list(Match.objects.filter(subscriber=reader).values_list("paper_id", "score")) == [(keep.pk, 0.5)]


def test_when_both_papers_have_feedback_from_one_subscriber_the_latest_click_wins() -> None:
    keep, dup = PaperFactory(), PaperFactory()
    reader = SubscriberFactory()
    now = timezone.now()
    Feedback.objects.create(subscriber=reader, paper=keep, value=1, created_at=now - timedelta(days=1))
    Feedback.objects.create(subscriber=reader, paper=dup, value=-1, created_at=now)

    papers_merge(keep_id=keep.pk, duplicate_ids=[dup.pk])

    assert list(Feedback.objects.filter(subscriber=reader).values_list("paper_id", "value")) == [
        (keep.pk, -1)
    ]


def test_a_paper_merged_twice_keeps_every_alias_on_the_final_paper() -> None:
    first, second, third = PaperFactory(), PaperFactory(), PaperFactory()
    papers_merge(keep_id=second.pk, duplicate_ids=[first.pk])
    papers_merge(keep_id=third.pk, duplicate_ids=[second.pk])

    assert set(PaperAlias.objects.filter(paper=third).values_list("key", flat=True)) == {
        first.key,
        second.key,
    }


def test_merging_a_paper_into_itself_is_refused() -> None:
    paper = PaperFactory()
    with pytest.raises(MergeError):
        papers_merge(keep_id=paper.pk, duplicate_ids=[paper.pk])


def test_merging_a_paper_that_no_longer_exists_is_refused_without_changes() -> None:
    keep = PaperFactory()
    with pytest.raises(MergeError):
        papers_merge(keep_id=keep.pk, duplicate_ids=[keep.pk + 1000])
    assert Paper.objects.filter(pk=keep.pk).exists()


def test_a_duplicate_already_sent_counts_as_sent_on_the_kept_paper() -> None:
    from digest.delivery.models import DeliveryItem
    from digest.delivery.selectors import sent_paper_ids
    from tests.factories import DeliveryFactory

    keep, dup = PaperFactory(), PaperFactory()
    delivery = DeliveryFactory()
    DeliveryItem.objects.create(delivery=delivery, paper=dup, position=0, score=0.9)

    papers_merge(keep_id=keep.pk, duplicate_ids=[dup.pk])

    # The subscriber who got the duplicate is never sent the same paper again under its other key.
    assert sent_paper_ids(delivery.subscriber_id) == {keep.pk}
    assert DeliveryItem.objects.get(delivery=delivery).paper_id == keep.pk
