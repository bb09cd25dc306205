"""Writes behind the curation admin. Admin actions call these; none of them bypass these rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import models, transaction
from django.utils import timezone

from digest.curation.models import PaperAlias
from digest.papers.models import Paper, PaperAuthor

CURATOR_GROUP = "curator"

# What a curator may do: edit papers and topics, run sources, read subscribers without addresses
# (the `subscriptions.view_subscriber_email` permission is deliberately absent), no deliveries.
CURATOR_PERMISSIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("papers", "paper"): ("view", "add", "change"),
    ("papers", "author"): ("view", "add", "change"),
    ("papers", "topic"): ("view", "add", "change", "delete"),
    ("papers", "source"): ("view", "add", "change"),
    ("papers", "ingestrun"): ("view",),
    ("curation", "paperalias"): ("view",),
    ("subscriptions", "subscriber"): ("view",),
    ("matching", "match"): ("view",),
    ("matching", "feedback"): ("view",),
}


def curator_group_setup(*, using: str = "default") -> Group:
    """Create the curator group and grant its permissions; idempotent, and it only ever adds, so
    permissions an administrator granted by hand survive a later migrate."""
    group, _ = Group.objects.using(using).get_or_create(name=CURATOR_GROUP)
    wanted = [
        f"{action}_{model}" for (_app, model), actions in CURATOR_PERMISSIONS.items() for action in actions
    ]
    perms = Permission.objects.using(using).filter(
        codename__in=wanted, content_type__app_label__in={app for app, _ in CURATOR_PERMISSIONS}
    )
    group.permissions.add(
        *[
            p
            for p in perms.select_related("content_type")
            if (p.content_type.app_label, p.content_type.model) in CURATOR_PERMISSIONS
        ]
    )
    return group


def papers_hide(*, paper_ids: Iterable[int], hidden: bool = True) -> int:
    """Hide papers from digests, feeds and previews (or show them again). Returns how many changed.
    `modified_at` moves so feed caches (Last-Modified/ETag) see the change."""
    return (
        Paper.objects.filter(pk__in=list(paper_ids))
        .exclude(hidden=hidden)
        .update(hidden=hidden, modified_at=timezone.now())
    )


def papers_feature(*, paper_ids: Iterable[int], featured: bool = True) -> int:
    """Feature papers (boosted in rankings) or stop featuring them. Returns how many changed."""
    return (
        Paper.objects.filter(pk__in=list(paper_ids))
        .exclude(featured=featured)
        .update(featured=featured, modified_at=timezone.now())
    )


class MergeError(ValueError):
    pass


@dataclass
class MergeResult:
    kept: Paper
    merged_keys: list[str] = field(default_factory=list)
    moved: dict[str, int] = field(default_factory=dict)


def _paper_references() -> list[tuple[type[models.Model], str]]:
    """Every (model, field) holding a foreign key to Paper, M2M through tables included, so that a
    relation added later by any app is carried over by a merge without touching this code."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.get_fields():
            if isinstance(f, models.ForeignKey) and f.related_model is Paper and not f.many_to_many:
                found.append((model, f.name))
    return found


def _unique_groups(model: type[models.Model], fk: str) -> list[list[str]]:
    """The other fields of each uniqueness rule that includes `fk` (empty list for one-to-one)."""
    groups: list[list[str]] = []
    for f in model._meta.get_fields():
        if getattr(f, "name", None) == fk and getattr(f, "unique", False):
            groups.append([])
    for together in model._meta.unique_together:
        if fk in together:
            groups.append([name for name in together if name != fk])
    for constraint in model._meta.constraints:
        if (
            isinstance(constraint, models.UniqueConstraint)
            and fk in constraint.fields
            and constraint.condition is None
        ):
            groups.append([name for name in constraint.fields if name != fk])
    return groups


def _attnames(model: type[models.Model], names: list[str]) -> list[str]:
    return [model._meta.get_field(name).attname for name in names]


def _move_feedback(*, keep: Paper, dup: Paper) -> int:
    from digest.matching.models import Feedback

    moved = 0
    kept_by_subscriber = {f.subscriber_id: f for f in Feedback.objects.filter(paper=keep)}
    for fb in Feedback.objects.filter(paper=dup):
        mine = kept_by_subscriber.get(fb.subscriber_id)
        if mine is None:
            fb.paper = keep
            fb.save(update_fields=["paper"])
            moved += 1
        elif fb.created_at > mine.created_at:
            # The latest click wins, as it would have had both clicks been on one paper.
            mine.value, mine.created_at = fb.value, fb.created_at
            mine.save(update_fields=["value", "created_at"])
            fb.delete()
    return moved


def _move_references(*, model: type[models.Model], fk: str, keep: Paper, dup: Paper) -> int:
    manager = model._base_manager
    dup_rows = manager.filter(**{fk: dup})
    for group in _unique_groups(model, fk):
        # Where the kept paper already has the row this one would collide with, the kept row wins.
        names = _attnames(model, group)
        if not names:
            if manager.filter(**{fk: keep}).exists():
                dup_rows.delete()
            continue
        existing = set(manager.filter(**{fk: keep}).values_list(*names))
        for row in dup_rows.values("pk", *names):
            if tuple(row[n] for n in names) in existing:
                manager.filter(pk=row["pk"]).delete()
    return manager.filter(**{fk: dup}).update(**{fk: keep})


def _union(first: Sequence[str], second: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))


@transaction.atomic
def papers_merge(*, keep_id: int, duplicate_ids: Sequence[int], actor: str = "") -> MergeResult:
    """Merge duplicates into one paper. Matches, feedback, topic and subscriber example papers and
    every other reference move to the kept paper (where both have one, the kept one wins, except
    feedback where the latest click wins); the duplicates' keys are recorded as aliases of the kept
    paper, then the duplicates are deleted."""
    duplicate_ids = sorted({int(i) for i in duplicate_ids} - {int(keep_id)})
    if not duplicate_ids:
        raise MergeError("Choose at least one duplicate besides the paper to keep.")
    locked = {p.pk: p for p in Paper.objects.select_for_update().filter(pk__in=[keep_id, *duplicate_ids])}
    if keep_id not in locked or any(pk not in locked for pk in duplicate_ids):
        raise MergeError("Some of these papers no longer exist; reload the page and try again.")
    keep = locked[keep_id]
    result = MergeResult(kept=keep)
    references = _paper_references()
    for dup_id in duplicate_ids:
        dup = locked[dup_id]
        result.moved["feedback"] = result.moved.get("feedback", 0) + _move_feedback(keep=keep, dup=dup)
        for model, fk in references:
            # Authorship stays the kept paper's own; the duplicate's rows go with it.
            if model is PaperAuthor or model._meta.label == "matching.Feedback":
                continue
            label = model._meta.label_lower
            result.moved[label] = result.moved.get(label, 0) + _move_references(
                model=model, fk=fk, keep=keep, dup=dup
            )
        PaperAlias.objects.update_or_create(
            key=dup.key,
            defaults={
                "arxiv_id": dup.arxiv_id or "",
                "title_key": dup.title_key,
                "title": dup.title,
                "paper": keep,
                "merged_by": actor,
            },
        )
        result.merged_keys.append(dup.key)
        keep.code_urls = _union(keep.code_urls, dup.code_urls)
        keep.project_urls = _union(keep.project_urls, dup.project_urls)
        keep.has_code = keep.has_code or dup.has_code or bool(keep.code_urls)
        keep.sources = " ".join(_union(keep.sources.split(), dup.sources.split()))
        keep.categories = " ".join(_union(keep.categories.split(), dup.categories.split()))
        keep.primary_category = keep.primary_category or dup.primary_category
        keep.upvotes = max((v for v in (keep.upvotes, dup.upvotes) if v is not None), default=None)
        keep.featured = keep.featured or dup.featured
        keep.first_seen_at = min(keep.first_seen_at, dup.first_seen_at)
        arxiv_id, arxiv_version = dup.arxiv_id, dup.arxiv_version
        dup.delete()
        if not keep.arxiv_id and arxiv_id:
            # Only after the duplicate is gone: arxiv_id is unique.
            keep.arxiv_id, keep.arxiv_version = arxiv_id, arxiv_version
    keep.modified_at = timezone.now()
    keep.save()
    return result


def sources_ingest_now(*, source_ids: Iterable[int]) -> int:
    """Queue an ingest of each source now, whatever its schedule; the task records the run.
    Enqueued after commit so the worker sees the same state the curator just saved."""
    from digest.papers.models import Source
    from digest.papers.tasks import ingest_task

    sources = list(Source.objects.filter(pk__in=list(source_ids)))
    for source in sources:
        ingest_task.delay_on_commit(source.url, source.format or None, source.pk)
    return len(sources)


def deliveries_retry(*, delivery_ids: Iterable[int]) -> list[int]:
    """Give failed digests another attempt: back to queued (a conditional UPDATE, so a row that
    changed meanwhile is left alone), then one send task after commit. Bounced rows are not
    retried: their address is suppressed. Returns the ids actually re-queued."""
    from digest.delivery.models import Delivery, OutboxStatus
    from digest.delivery.tasks import digests_send_task

    ids = sorted({int(i) for i in delivery_ids})
    with transaction.atomic():
        retry = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=ids, status=OutboxStatus.FAILED)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=retry, status=OutboxStatus.FAILED).update(
            status=OutboxStatus.QUEUED, next_attempt_at=None, may_have_sent=False, enqueued_at=timezone.now()
        )
        if retry:
            digests_send_task.delay_on_commit(retry)
    return retry


def digest_test_send(*, subscriber_id: int, days: int = 7) -> int | None:
    """Send an active subscriber their digest as it would be now (best candidates of the last
    `days`), marked as a test, through the account-mail outbox: recorded there and sent after
    commit. Papers are not marked as sent, so the regular digest is unaffected. Returns the
    outbox row id, or None when the subscriber is not active or nothing qualifies."""
    from digest.delivery.models import Delivery, DeliveryItem
    from digest.delivery.rendering import digest_context
    from digest.delivery.services import transactional_email_queue
    from digest.matching.selectors import digest_candidates
    from subscriptions.models import Subscriber

    subscriber = Subscriber.objects.filter(pk=subscriber_id).prefetch_related("topics").first()
    if subscriber is None or subscriber.status != Subscriber.Status.ACTIVE:
        # Consent: only people currently subscribed get mail, a test included.
        return None
    until = timezone.now()
    since = until - timedelta(days=days)
    matches = digest_candidates(
        subscriber=subscriber, since=since, until=until, limit=max(1, subscriber.papers_per_digest)
    )
    if not matches:
        return None
    # Never saved: the rendering code reads these exactly like a real digest's frozen rows.
    draft = Delivery(
        subscriber=subscriber, period=timezone.localdate(), covers_since=since, covers_until=until
    )
    items = [
        DeliveryItem(delivery=draft, paper=m.paper, position=i, score=m.score, why=m.why)
        for i, m in enumerate(matches)
    ]
    context = digest_context(delivery=draft, items=items)
    context["subject"] = f"[Test] {context['subject']}"
    context["view_url"] = None  # a test has no stored digest to view in the browser
    row = transactional_email_queue(
        subscriber_id=subscriber.pk, to=subscriber.email, name="digest", context=context
    )
    return row.pk
