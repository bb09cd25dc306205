from __future__ import annotations

from io import StringIO

import pytest
from django.core.management.base import BaseCommand

from digest.curation.demo import DEMO_TOPICS, step_demo_topics
from digest.papers.models import Topic

pytestmark = pytest.mark.django_db


def test_the_demo_topics_are_created_once_and_curator_edits_survive_a_rerun() -> None:
    step_demo_topics(BaseCommand(stdout=StringIO()))
    assert Topic.objects.count() == len(DEMO_TOPICS)
    Topic.objects.filter(slug="robotics").update(keywords="humanoid")
    step_demo_topics(BaseCommand(stdout=StringIO()))
    assert Topic.objects.count() == len(DEMO_TOPICS)
    assert Topic.objects.get(slug="robotics").keywords == "humanoid"
    assert '"large language model"' in Topic.objects.get(slug="language-models").keyword_list
