"""Curator preview: the ranking a subscriber with these interests would get right now."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date, parse_datetime

from digest.ingest.normalise import author_match_key
from digest.matching.engine import Engine, Subscribers
from digest.matching.services import corpus_load, keywords_interest
from digest.papers.models import Paper


def _since(value: str) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since must be a date like 2024-05-01, got {value!r}")
        parsed = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = 'Print the papers a subscriber with these interests would get: rank "interest text" [options]'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("interest", help='Keywords and "quoted phrases", as a subscriber would type them')
        parser.add_argument(
            "--seed-paper",
            type=int,
            action="append",
            default=[],
            metavar="ID",
            help="A paper id liked as an example (repeatable)",
        )
        parser.add_argument(
            "--exclude",
            action="append",
            default=[],
            metavar="TERM",
            help="A term or phrase that rules a paper out (repeatable)",
        )
        parser.add_argument(
            "--author",
            action="append",
            default=[],
            metavar="NAME",
            help="A followed author; name variants match (repeatable)",
        )
        parser.add_argument(
            "--since", type=_since, default=None, help="Only papers published since this date"
        )
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument(
            "--json", action="store_true", help="Print a JSON list of id, arxiv_id, title, score, why"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        seeds = options["seed_paper"]
        missing = set(seeds) - set(Paper.objects.filter(pk__in=seeds).values_list("pk", flat=True))
        if missing:
            raise CommandError(f"no paper with id {', '.join(map(str, sorted(missing)))}")
        papers = Paper.objects.visible()
        if options["since"] is not None:
            papers = papers.filter(published_at__gte=options["since"])
        from django.conf import settings

        window = list(papers.latest_first().values_list("id", flat=True)[: settings.MATCH_MAX_PAPERS])
        loaded = corpus_load(candidate_ids=window, reference_ids=seeds)
        seed_rows = [loaded.row_of[pk] for pk in seeds]
        interest = keywords_interest(options["interest"], label="your interests")
        subscribers = Subscribers(
            topics=[[]],
            personal=[interest],
            liked=[seed_rows],
            excluded=["\n".join(options["exclude"])],
            followed=[[author_match_key(name) for name in options["author"]]],
            blocked=[seed_rows],
        )
        ranking = Engine(loaded.corpus, [], subscribers).rank(k=options["limit"])
        by_id = Paper.objects.in_bulk([loaded.paper_ids[p] for p in ranking.paper.tolist()])
        results = [
            {
                "id": paper.pk,
                "arxiv_id": paper.arxiv_id,
                "title": paper.title,
                "score": round(float(score), 4),
                "why": why,
            }
            for row, score, why in zip(
                ranking.paper.tolist(), ranking.score.tolist(), ranking.why, strict=True
            )
            if (paper := by_id.get(loaded.paper_ids[row])) is not None
        ]
        if options["json"]:
            self.stdout.write(json.dumps(results, ensure_ascii=False, indent=2))
            return
        if not results:
            self.stdout.write("Nothing good enough: a subscriber with these interests would get no papers.")
        for position, item in enumerate(results, start=1):
            self.stdout.write(
                f"{position:>3}. [{item['score']:.3f}] {item['title']}  (#{item['id']} {item['arxiv_id'] or ''})"
            )
            self.stdout.write(f"     {item['why']}")
