from __future__ import annotations

from django.db import models
from django.utils import timezone

from digest.papers.models import Paper
from subscriptions.models import Subscriber


class Feedback(models.Model):
    """A "more like this" (+1) or "less like this" (-1) click. The latest click per paper wins."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="feedback")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="feedback")
    value = models.SmallIntegerField(choices=[(1, "more like this"), (-1, "less like this")])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "paper"], name="feedback_one_per_paper")]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {'+' if self.value > 0 else '-'} {self.paper_id}"


class Match(models.Model):
    """A paper the engine picked for a subscriber, with its score and the human "why".

    Digests and the personal feed both read these rows; `Match` is written by a matching run.
    """

    # A matching run writes MATCH_PER_RUN rows for every subscriber. Database foreign keys would
    # check (and share-lock) a subscriber and a paper row for each of them at commit, about as much
    # work as storing the row; the rows are only written by matching runs, with ids they just read,
    # and deletes cascade through Django either way. The (subscriber, paper) constraint's index
    # serves lookups by subscriber.
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="matches", db_constraint=False, db_index=False
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="matches", db_constraint=False)
    score = models.FloatField()
    why = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-score"]
        constraints = [models.UniqueConstraint(fields=["subscriber", "paper"], name="match_once_per_paper")]

    def __str__(self) -> str:
        return f"{self.subscriber_id} ← {self.paper_id} ({self.score:.2f})"


class PaperEmbedding(models.Model):
    """A sentence embedding (float32 bytes), computed once per paper when the semantic extra is installed."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, primary_key=True, related_name="embedding")
    model = models.CharField(max_length=100)
    vector = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.model} embedding of paper {self.paper_id}"


class ProcessedPaper(models.Model):
    """Marks a paper that a matching run has embedded and ranked for every active subscriber, so
    `process_new_papers` is idempotent and only ever looks at what arrived since."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, primary_key=True, related_name="+")
    processed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"paper {self.paper_id} processed"
