"""The "view in browser" page of a digest, behind a signed link."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from digest.delivery.models import Delivery
from digest.delivery.rendering import digest_render
from subscriptions.tokens import BadToken, Purpose, token_read


def delivery_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber, extra = token_read(purpose=Purpose.VIEW_DIGEST, token=token)
        delivery = Delivery.objects.select_related("subscriber").get(pk=int(extra), subscriber=subscriber)
    except (BadToken, ValueError, Delivery.DoesNotExist):
        raise Http404("This link is not valid (any more).") from None
    items = list(delivery.items.select_related("paper"))
    if not items:
        raise Http404("This digest has no papers.")
    rendered, _ = digest_render(delivery=delivery, items=items, for_browser=True)
    response = HttpResponse(rendered.html, content_type="text/html; charset=utf-8")
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response
