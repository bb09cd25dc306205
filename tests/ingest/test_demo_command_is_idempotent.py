from __future__ import annotations

from io import StringIO

import pytest
from django.core.management.base import BaseCommand, OutputWrapper

from digest.papers.management.commands.demo import STEPS, step_ingest_sample_papers
from digest.papers.models import Paper

pytestmark = pytest.mark.django_db


def command() -> tuple[BaseCommand, StringIO]:
    out = StringIO()
    cmd = BaseCommand()
    cmd.stdout = OutputWrapper(out)
    return cmd, out


def test_the_papers_step_comes_first_so_later_steps_find_papers() -> None:
    assert STEPS[0] == ("sample papers", step_ingest_sample_papers)


def test_the_sample_papers_step_loads_313_papers_and_a_second_run_adds_nothing() -> None:
    cmd, out = command()
    step_ingest_sample_papers(cmd)
    assert Paper.objects.count() == 313
    assert "313 papers in the store" in out.getvalue()
    hashes = dict(Paper.objects.values_list("key", "content_hash"))

    cmd, again = command()
    step_ingest_sample_papers(cmd)
    assert Paper.objects.count() == 313
    assert dict(Paper.objects.values_list("key", "content_hash")) == hashes
    assert "0 new, 0 updated, 172 unchanged" in again.getvalue()
