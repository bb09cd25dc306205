import pytest

from digest.matching.models import Match
from digest.matching.services import matches_write
from tests.factories import SubscriberFactory
from tests.matching.helpers import author, background, paper

pytestmark = pytest.mark.django_db


def test_a_followed_author_qualifies_whatever_the_interests_under_any_name_variant() -> None:
    papers = background()
    by_lecun = paper("Energy-based models of the world", authors=["Yann LeCun", "Ada Lovelace"])
    subscriber = SubscriberFactory(keywords='"protein folding"')
    subscriber.followed_authors.add(author("Y. LeCun"))

    matches_write(subscriber_ids=[subscriber.pk], paper_ids=[p.pk for p in [*papers, by_lecun]])

    match = Match.objects.get(subscriber=subscriber, paper=by_lecun)
    assert match.why.startswith("By Yann LeCun, whom you follow")
    best = Match.objects.filter(subscriber=subscriber).order_by("-score").first()
    assert best == match


def test_a_surname_comma_given_name_variant_matches_too() -> None:
    background()
    by_hinton = paper("Forward-forward training", authors=["Geoffrey E. Hinton"])
    subscriber = SubscriberFactory()
    subscriber.followed_authors.add(author("Hinton, G."))

    matches_write(subscriber_ids=[subscriber.pk], paper_ids=[by_hinton.pk])

    assert list(Match.objects.filter(subscriber=subscriber).values_list("paper_id", flat=True)) == [
        by_hinton.pk
    ]


def test_a_different_person_with_the_same_surname_does_not_qualify() -> None:
    other = paper("Coral reefs", authors=["Bernard LeCun"])
    subscriber = SubscriberFactory()
    subscriber.followed_authors.add(author("Yann LeCun"))

    matches_write(subscriber_ids=[subscriber.pk], paper_ids=[other.pk])

    assert not Match.objects.filter(subscriber=subscriber).exists()
