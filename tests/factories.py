"""factory_boy factories shared by every test area (add yours with a small edit, don't rewrite)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.utils import timezone

from digest.ingest.normalise import author_match_key
from digest.matching.models import Match
from digest.papers.models import Author, Paper, PaperAuthor, Topic
from subscriptions.models import Subscriber


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ("key",)

    name = factory.Sequence(lambda n: f"Author Number{n}")
    key = factory.LazyAttribute(lambda o: o.name.lower())
    # The ingest normaliser's key (surname + first initial), so following "Y. LeCun" finds them.
    match_key = factory.LazyAttribute(lambda o: author_match_key(o.name))


class PaperFactory(factory.django.DjangoModelFactory):
    """`authors=["Ada Lovelace", ...]` creates the authors, the ordered links and `author_names`."""

    class Meta:
        model = Paper
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"2401.{n:05d}")
    arxiv_id = factory.LazyAttribute(lambda o: o.key)
    title_key = factory.Sequence(lambda n: f"title-key-{n}")
    title = factory.Sequence(lambda n: f"A study of things, part {n}")
    abstract = "We study things and find that they are interesting."
    categories = "cs.LG"
    primary_category = "cs.LG"
    published_at = factory.Sequence(lambda n: timezone.now() - timedelta(days=1, minutes=n))

    @factory.post_generation
    def authors(self, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        names = ["Ada Lovelace"] if extracted is None else extracted
        if not create:
            return
        for position, name in enumerate(names):
            author = AuthorFactory(name=name)
            PaperAuthor.objects.create(paper=self, author=author, position=position)
        self.author_names = list(names)
        self.save(update_fields=["author_names"])


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")
    description = "Papers about a topic."
    keywords = "things"


class SubscriberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscriber

    email = factory.Sequence(lambda n: f"reader{n}@example.org")
    status = Subscriber.Status.ACTIVE
    confirmed_at = factory.LazyFunction(timezone.now)


class MatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Match

    subscriber = factory.SubFactory(SubscriberFactory)
    paper = factory.SubFactory(PaperFactory)
    score = 0.8
    why = "matches your keyword “things”"


class DeliveryFactory(factory.django.DjangoModelFactory):
    """A digest outbox row (helper F's admin tests; delivery tests may extend it)."""

    class Meta:
        model = "delivery.Delivery"

    subscriber = factory.SubFactory(SubscriberFactory)
    period = factory.Sequence(lambda n: timezone.localdate() - timedelta(days=n))
    status = "sent"
    covers_since = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    covers_until = factory.LazyFunction(timezone.now)
    sent_at = factory.LazyFunction(timezone.now)
    subject = "Your papers"
