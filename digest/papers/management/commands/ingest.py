"""`manage.py ingest PATH_OR_URL [--format ...]`: one file or URL into the paper store."""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from digest.ingest.detect import FORMAT_NAMES
from digest.ingest.errors import IngestError
from digest.papers.search_index import search_documents_index
from digest.papers.services import ingest_location, ingest_summary


class Command(BaseCommand):
    help = "Ingest papers from a file or an http(s) URL; the format is detected unless --format is given."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("location", help="A file path or an http(s) URL")
        parser.add_argument("--format", choices=FORMAT_NAMES, help="Skip detection and read this format")
        parser.add_argument(
            "--show-rejects", type=int, default=5, metavar="N", help="Print the first N rejected records"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The summary line below says it all; the service's own log line would repeat it.
        logging.getLogger("digest.papers.services").setLevel(logging.WARNING)
        try:
            run = ingest_location(
                location=options["location"], format=options["format"], progress=sys.stderr.isatty()
            )
        except IngestError as error:
            raise CommandError(f"cannot ingest {options['location']}: {error}") from None
        for reject in run.rejects[: options["show_rejects"]]:
            self.stderr.write(f"  rejected record {reject['record']}: {reject['reason']}")
        if run.rejected > options["show_rejects"]:
            self.stderr.write(f"  ... {run.rejected - options['show_rejects']} more, see IngestRun #{run.pk}")
        if run.new or run.updated:
            # What the ingest task queues after a run, done here before the one summary line.
            search_documents_index()
        self.stdout.write(ingest_summary(run))
