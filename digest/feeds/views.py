"""Feed views: one small version query, then a cached body keyed by that version.

The hot path (a cached or a 304 answer) runs a single aggregate query and no rendering. Because the
key contains the data's version, a memo in the process is as fresh as the shared cache."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from digest.feeds import feeds, selectors
from digest.feeds.render import FeedFormat, FeedMeta, feed_render

# Bump when the rendered XML changes shape, so old cached bodies and ETags are dropped.
RENDER_VERSION = 1
CACHE_TIMEOUT = 24 * 3600
CONTENT_TYPES = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}
PUBLIC_CACHE_CONTROL = "public, max-age=60"
PRIVATE_CACHE_CONTROL = "private, max-age=60"
MEMO_SIZE = 128

_memo: OrderedDict[str, bytes] = OrderedDict()
# Threaded workers share the memos: without it, a key evicted by one thread between another's
# lookup and its move_to_end raises KeyError.
_memo_lock = threading.Lock()


def _memo_get(key: str) -> bytes | None:
    with _memo_lock:
        body = _memo.get(key)
        if body is not None:
            _memo.move_to_end(key)
        return body


def _memo_put(key: str, body: bytes) -> None:
    with _memo_lock:
        _memo[key] = body
        _memo.move_to_end(key)
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)


_modified_memo: OrderedDict[str, int] = OrderedDict()


def _last_modified(*, feed: str, key: str, data_time: datetime | None) -> int:
    """The feed's Last-Modified in whole seconds, strictly later for each new version of the feed.

    HTTP dates have no fractions, and clients such as libcurl (newsboat) discard a 200 whose
    Last-Modified is not newer than their If-Modified-Since, so two changes within one second must
    not share a date. The first process to see a version fixes its date in the shared cache."""
    memoised = _modified_memo.get(key)
    if memoised is not None:
        return memoised
    data_seconds = int(data_time.timestamp()) if data_time else 0
    fixed = cache.get(f"{key}:lm")
    if fixed is None:
        feed_key = "feeds:lm-latest:" + hashlib.sha256(feed.encode()).hexdigest()[:40]
        previous = cache.get(feed_key)
        candidate = data_seconds if previous is None else max(data_seconds, previous + 1)
        if cache.add(f"{key}:lm", candidate, CACHE_TIMEOUT):
            cache.set(feed_key, candidate, CACHE_TIMEOUT)
            fixed = candidate
        else:
            fixed = cache.get(f"{key}:lm", candidate)
    with _memo_lock:
        _modified_memo[key] = fixed
        while len(_modified_memo) > MEMO_SIZE:
            _modified_memo.popitem(last=False)
    return fixed


@dataclass(frozen=True)
class FeedKind:
    name: str
    build: Callable[[selectors.FeedState, feeds.FeedContext], FeedMeta]
    private: bool = False


LATEST = FeedKind("latest", feeds.latest_feed)
TOPIC = FeedKind("topic", feeds.topic_feed)
AUTHOR = FeedKind("author", feeds.author_feed)
PERSONAL = FeedKind("personal", feeds.personal_feed, private=True)


def _serve(
    request: HttpRequest, kind: FeedKind, fmt: FeedFormat, ident: str, state: selectors.FeedState | None
) -> HttpResponse:
    if state is None:
        raise Http404("No such feed")
    base_url = f"{request.scheme}://{request.get_host()}"
    self_url = base_url + request.path
    key_source = f"{RENDER_VERSION}|{kind.name}|{ident}|{fmt}|{self_url}|{state.version}"
    digest = hashlib.sha256(key_source.encode()).hexdigest()[:40]
    key = f"feeds:{kind.name}:{digest}"
    etag = f'"{digest}"'
    modified_at = _last_modified(
        feed=f"{kind.name}|{ident}|{fmt}|{self_url}", key=key, data_time=state.last_modified
    )
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(modified_at),
        "Cache-Control": PRIVATE_CACHE_CONTROL if kind.private else PUBLIC_CACHE_CONTROL,
    }
    if kind.private:
        headers["X-Robots-Tag"] = "noindex"

    not_modified = get_conditional_response(request, etag=etag, last_modified=modified_at)
    if not_modified is not None:
        for name, value in headers.items():
            not_modified[name] = value
        return not_modified

    body = _memo_get(key)
    if body is None:
        body = cache.get(key)
        if body is None:
            body = feed_render(
                meta=kind.build(state, feeds.FeedContext(base_url=base_url, self_url=self_url)), fmt=fmt
            )
            cache.set(key, body, CACHE_TIMEOUT)
        _memo_put(key, body)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    for name, value in headers.items():
        response[name] = value
    return response


@require_safe
def latest(request: HttpRequest, fmt: FeedFormat) -> HttpResponse:
    return _serve(request, LATEST, fmt, "", selectors.papers_state())


@require_safe
def topic(request: HttpRequest, slug: str, fmt: FeedFormat) -> HttpResponse:
    return _serve(request, TOPIC, fmt, slug, selectors.topic_state(slug=slug))


@require_safe
def author(request: HttpRequest, pk: int, fmt: FeedFormat) -> HttpResponse:
    return _serve(request, AUTHOR, fmt, str(pk), selectors.author_state(pk=pk))


@require_safe
def personal(request: HttpRequest, token: str, fmt: FeedFormat) -> HttpResponse:
    return _serve(request, PERSONAL, fmt, token, selectors.personal_state(token=token))
