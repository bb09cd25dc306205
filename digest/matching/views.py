"""The "more like this" / "less like this" links.

Mail scanners and link previewers fetch every URL in a message, so a GET that recorded feedback
would click both buttons for every reader (and the last fetch would win). GET therefore only shows
a page whose form POSTs the click; the page submits that form by itself when the browser runs
scripts, so for a person it stays one click, and a plain button covers browsers without scripts.
The signed token is the only authority (no session, no login), hence no CSRF cookie either.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from digest.matching.services import feedback_record
from digest.papers.models import Paper
from subscriptions.tokens import BadToken, Purpose, token_read

DIRECTIONS = {"more": 1, "less": -1}


def _problem(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "matching/feedback.html", {"problem": message}, status=status)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def feedback(request: HttpRequest, token: str, direction: str) -> HttpResponse:
    if direction not in DIRECTIONS:
        return _problem(
            request, "This feedback link is not complete. Please use the link from your email.", 404
        )
    try:
        subscriber, extra = token_read(purpose=Purpose.FEEDBACK, token=token)
    except BadToken:
        return _problem(request, "This feedback link is not valid any more.", 400)
    paper = Paper.objects.visible().filter(pk=int(extra) if extra.isdigit() else 0).first()
    if paper is None:
        return _problem(request, "This paper is no longer available.", 404)
    value = DIRECTIONS[direction]
    undo = "less" if value > 0 else "more"
    context = {"paper": paper, "direction": direction, "value": value, "token": token, "undo": undo}
    if request.method == "POST":
        feedback_record(subscriber=subscriber, paper=paper, value=value)
        return render(request, "matching/feedback.html", {**context, "recorded": True})
    return render(request, "matching/feedback.html", context)
