"""`manage.py demo`: fill a fresh install with something to look at. Safe to run again.

The demo is a list of steps; each is a function taking the command (for output) and doing one
idempotent thing. Other parts of the product add their own step function and list it in STEPS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from digest.curation.demo import step_admin_login, step_demo_topics
from digest.delivery.demo import step_send_demo_digests
from digest.ingest.errors import IngestError
from digest.matching.demo import step_match_demo_papers
from digest.papers.models import Paper, Topic
from digest.papers.search_index import search_documents_index
from digest.papers.services import ingest_location, ingest_summary
from subscriptions.demo import step_demo_subscribers

DEMO_DIR = Path(settings.BASE_DIR) / "demo"


def step_ingest_sample_papers(command: BaseCommand) -> None:
    """The bundled Hugging Face pages: 381 entries, 313 distinct papers."""
    pages = sorted((DEMO_DIR / "hf-papers").glob("*.txt"))
    if not pages:
        raise CommandError(f"no demo pages found in {DEMO_DIR / 'hf-papers'}")
    for page in pages:
        try:
            run = ingest_location(location=str(page), format="hf-page")
        except IngestError as error:
            raise CommandError(f"cannot ingest {page}: {error}") from None
        command.stdout.write("  " + ingest_summary(run))
    search_documents_index()
    command.stdout.write(f"  {Paper.objects.count()} papers in the store")


Step = Callable[[BaseCommand], None]

# Order matters: later steps (subscribers, digests, ...) may rely on the papers being there.
STEPS: list[tuple[str, Step]] = [
    ("sample papers", step_ingest_sample_papers),
    ("curated topics", step_demo_topics),
    ("demo subscribers", step_demo_subscribers),
    ("matches for the demo subscribers", step_match_demo_papers),
    ("digests for the demo subscribers", step_send_demo_digests),
    # Last, so the login is what `make run` shows just before the server starts.
    ("admin login", step_admin_login),
]


class Command(BaseCommand):
    help = "Load the demo data (sample papers, and whatever later steps add). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("digest.papers.services").setLevel(logging.WARNING)
        for title, step in STEPS:
            self.stdout.write(f"demo: {title}")
            step(self)
        self.stdout.write(self.style.SUCCESS("demo data is ready"))
        self.stdout.write("open:")
        for url, what in demo_urls():
            self.stdout.write(f"  {url:<48} {what}")


def demo_urls() -> list[tuple[str, str]]:
    site = settings.SITE_URL.rstrip("/")
    urls = [
        (f"{site}/", "the latest papers, search and filters"),
        (f"{site}/subscribe/", "sign up (the confirmation lands in the mailbox below)"),
        (f"{site}/_mailbox/", "the local mailbox: the demo digests and every account email"),
        (f"{site}/feeds/latest.rss", "the latest papers as RSS (every page advertises its feeds)"),
    ]
    topic = Topic.objects.order_by("name").first()
    if topic is not None:
        urls.append((f"{site}{reverse('topic-detail', args=[topic.slug])}", f"the topic “{topic.name}”"))
    urls += [
        (f"{site}/admin/", "the curation admin (login above)"),
        (f"{site}/admin/dashboard/", "the admin dashboard"),
    ]
    return urls
