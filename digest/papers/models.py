from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchVectorField
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone


class KeyField(models.CharField):
    """A key or code that is only ever compared whole or by prefix: compared bytewise on PostgreSQL
    (the "C" collation) instead of by the database's locale, which made every insert into its index
    and every lookup call strcoll (a tenth of the cost of COPYing papers, bench/ingest.py). Nothing
    shows them to people in their sort order, and under a C.UTF-8 database locale the order is the
    same anyway (code points). SQLite compares bytewise already."""

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


class Author(models.Model):
    """A person as written on papers. `key` folds case and accents of the full name; `match_key`
    (surname and first initial) lets a followed `Y. LeCun` find `Yann LeCun`."""

    name = models.CharField(max_length=300)
    key = KeyField(max_length=300)
    match_key = KeyField(max_length=300)

    class Meta:
        ordering = ["name"]
        # Three indexes where unique=True and db_index=True made five: `key` is only ever compared
        # whole, and one varchar_pattern_ops index on `match_key` serves both its equality and its
        # prefix lookups (subscriptions.selectors). Ingestion creates authors by the ten thousand.
        constraints = [models.UniqueConstraint(fields=["key"], name="author_unique_key")]
        indexes = [
            models.Index(fields=["match_key"], name="author_match_key", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("author-detail", args=[self.pk])


class PaperQuerySet(models.QuerySet["Paper"]):
    def visible(self) -> PaperQuerySet:
        return self.filter(hidden=False)

    def latest_first(self) -> PaperQuerySet:
        return self.order_by("-published_at", "-id")

    def arrived_between(self, start: object, end: object) -> PaperQuerySet:
        return self.filter(first_seen_at__gte=start, first_seen_at__lt=end)


class Paper(models.Model):
    # arXiv id without version when known, else "title:" + a hash of the normalised title.
    key = KeyField(max_length=64)
    arxiv_id = KeyField(max_length=32, null=True, blank=True)
    arxiv_version = models.PositiveSmallIntegerField(null=True, blank=True)
    # Hash of the normalised title: finds the same paper arriving from a source without arXiv ids.
    title_key = KeyField(max_length=40)
    title = models.TextField()
    abstract = models.TextField()
    authors = models.ManyToManyField(Author, through="PaperAuthor", related_name="papers")
    # The ordered display names, kept beside the relation so lists render without a join.
    author_names = models.JSONField(default=list, blank=True)
    categories = models.CharField(max_length=500, blank=True, help_text="Space-separated, arXiv style")
    primary_category = KeyField(max_length=64, blank=True)
    sources = models.CharField(max_length=200, blank=True, help_text="Space-separated source kinds")
    code_urls = models.JSONField(default=list, blank=True)
    project_urls = models.JSONField(default=list, blank=True)
    has_code = models.BooleanField(default=False)
    upvotes = models.IntegerField(null=True, blank=True)
    published_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Indexed: feeds read MAX(modified_at) on every request to know whether their cache is current.
    modified_at = models.DateTimeField(default=timezone.now, db_index=True)
    content_hash = models.CharField(max_length=40, blank=True)
    hidden = models.BooleanField(default=False, help_text="Never shown in digests or feeds")
    featured = models.BooleanField(default=False, help_text="Boosted in rankings")

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        # Declared here rather than with unique=True/db_index=True so PostgreSQL gets no extra
        # varchar_pattern_ops ("_like") copies, and the rare flags get partial indexes: every index
        # is paid on each of millions of ingested rows (see bench/ingest.py).
        constraints = [
            models.UniqueConstraint(fields=["key"], name="paper_unique_key"),
            models.UniqueConstraint(fields=["arxiv_id"], name="paper_unique_arxiv_id"),
        ]
        indexes = [
            models.Index(fields=["title_key"], name="paper_title_key"),
            # What an arXiv record can take over by its title (services._plan_batch asks for it for
            # every record of every batch); small, as most papers have an arXiv id.
            models.Index(
                fields=["title_key"], name="paper_title_key_title_only", condition=models.Q(arxiv_id=None)
            ),
            models.Index(fields=["primary_category"], name="paper_primary_category"),
            models.Index(fields=["featured"], name="paper_featured", condition=models.Q(featured=True)),
            models.Index(fields=["hidden"], name="paper_hidden", condition=models.Q(hidden=True)),
            models.Index(fields=["has_code"], name="paper_has_code", condition=models.Q(has_code=True)),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saved one at a time (admin edits, merges), a paper's search document follows at once;
        bulk ingestion writes without this and leaves the documents to `search_documents_index`."""
        from digest.papers.search_index import DOCUMENT_FIELDS, search_documents_refresh

        fields = kwargs.get("update_fields")
        if fields is not None and not DOCUMENT_FIELDS & set(fields):
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            super().save(*args, **kwargs)
            search_documents_refresh(paper_ids=[self.pk])

    def get_absolute_url(self) -> str:
        return reverse("paper-detail", args=[self.pk])

    @property
    def abs_url(self) -> str | None:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else None

    @property
    def pdf_url(self) -> str | None:
        return f"https://arxiv.org/pdf/{self.arxiv_id}" if self.arxiv_id else None

    @property
    def category_list(self) -> list[str]:
        return self.categories.split()


class PaperAuthor(models.Model):
    # Ingestion COPYs several of these per paper. Database foreign keys would check each row
    # against both tables, costing more than storing the paper itself (see bench/ingest.py); the
    # rows are only written by ingestion, with ids it just read or created, and deletes cascade
    # through Django either way. The (paper, position) primary key serves lookups by paper; it
    # replaced a surrogate id, whose sequence and index cost a third of storing each link.
    pk = models.CompositePrimaryKey("paper_id", "position")
    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="authorships", db_constraint=False, db_index=False
    )
    author = models.ForeignKey(
        Author, on_delete=models.CASCADE, related_name="authorships", db_constraint=False
    )
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}: {self.author_id} on {self.paper_id}"


class PaperSearchDocument(models.Model):
    """A paper's full-text document for the admin search (PostgreSQL only), in a table of its own
    so that bulk ingestion does not compute it: see `digest.papers.search_index`."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, primary_key=True, related_name="+")
    # GIN-indexed by migration papers/0005 on PostgreSQL; empty elsewhere.
    document = SearchVectorField()

    def __str__(self) -> str:
        return f"search document of paper {self.paper_id}"


class Topic(models.Model):
    """A curated interest: subscribers pick it, the matching engine scores it, it has public feeds."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    keywords = models.TextField(
        blank=True, help_text='One keyword or "quoted phrase" per line; they define what the topic matches.'
    )
    example_papers = models.ManyToManyField(Paper, blank=True, related_name="example_for_topics")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("topic-detail", args=[self.slug])

    @property
    def keyword_list(self) -> list[str]:
        return [line.strip() for line in self.keywords.splitlines() if line.strip()]


class SourceFormat(models.TextChoices):
    HF_PAGE = "hf-page", "Hugging Face papers page (saved text)"
    HF_API = "hf-api", "Hugging Face daily papers API (JSON)"
    ARXIV_JSONL = "arxiv-jsonl", "arXiv metadata snapshot (JSON lines)"
    ARXIV_CSV = "arxiv-csv", "arXiv metadata snapshot (CSV)"
    ARXIV_ATOM = "arxiv-atom", "arXiv API or listing feed (Atom)"
    ARXIV_RSS = "arxiv-rss", "arXiv listing feed (RSS)"


class Source(models.Model):
    """A recurring ingestion source that beat ingests on its schedule."""

    name = models.CharField(max_length=120, unique=True)
    url = models.URLField(max_length=1000)
    format = models.CharField(
        max_length=20, choices=SourceFormat.choices, blank=True, help_text="Blank: detect"
    )
    interval_minutes = models.PositiveIntegerField(default=24 * 60)
    enabled = models.BooleanField(default=True)
    last_ingested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IngestRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    location = models.CharField(max_length=1000, help_text="Path or URL ingested")
    format = models.CharField(max_length=20, choices=SourceFormat.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # [{"record": <line or record number>, "reason": "..."}], capped so a garbage file stays small.
    rejects = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.location} @ {self.started_at:%Y-%m-%d %H:%M}"
