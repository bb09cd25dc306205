from __future__ import annotations

from django.db import models
from django.utils import timezone

from digest.papers.models import Paper


class PaperAlias(models.Model):
    """The identity of a paper merged into another: a later ingest of the same record (by `key`,
    arXiv id or title hash) resolves to the kept paper instead of re-creating the duplicate."""

    key = models.CharField(max_length=64, unique=True)
    arxiv_id = models.CharField(max_length=32, blank=True, db_index=True)
    title_key = models.CharField(max_length=40, blank=True, db_index=True)
    title = models.TextField(blank=True)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="aliases")
    merged_at = models.DateTimeField(default=timezone.now)
    merged_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-merged_at"]
        verbose_name_plural = "paper aliases"

    def __str__(self) -> str:
        return f"{self.key} → paper {self.paper_id}"
