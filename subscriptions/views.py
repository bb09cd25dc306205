"""The subscription pages. Every page works without JavaScript; a GET never changes state (mail
scanners and link prefetchers open every link), and every POST but the RFC 8058 one-click
unsubscribe carries a CSRF token."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from digest.papers.models import Paper, Topic
from subscriptions import links, ratelimit, services
from subscriptions.forms import EmailChangeForm, EmailRequestForm, ManageForm, SubscribeForm, consent_wording
from subscriptions.models import Subscriber
from subscriptions.tokens import BadToken, Purpose, token_make, token_read

View = Callable[..., HttpResponse]


def private(view: View) -> View:
    """Pages reached through a secret link: never cached, indexed, or leaked in a Referer."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        # "same-origin", not "no-referrer": with no-referrer browsers send `Origin: null` on the
        # page's own form posts and Django's CSRF check refuses them. Other sites still get nothing.
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def _bad_link(request: HttpRequest, error: BadToken, *, purpose: Purpose, token: str = "") -> HttpResponse:
    context = {"purpose": purpose.value, "expired": error.expired, "resend_token": ""}
    if purpose == Purpose.CONFIRM and error.expired:
        context["resend_token"] = token
    return render(request, "subscriptions/bad_link.html", context, status=400)


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "subscriptions/too_many.html", status=429)
    response["Retry-After"] = str(ratelimit.WINDOW_SECONDS)
    return response


def _user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:500]


def masked(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SubscribeForm(request.POST)
        if form.is_bot:
            return redirect("subscriptions:subscribe-sent")
        if not ratelimit.ip_allowed(request=request, action="subscribe"):
            return _too_many(request)
        if form.is_valid():
            services.subscriber_signup(
                email=form.cleaned_data["email"],
                preferences=form.preferences(),
                ip=ratelimit.client_ip(request),
                user_agent=_user_agent(request),
                consent_text=consent_wording(),
            )
            # Whatever happened (new, pending, active, rate limited), the answer is the same.
            return redirect("subscriptions:subscribe-sent")
    else:
        form = SubscribeForm(initial=_subscribe_initial(request))
    return render(request, "subscriptions/subscribe.html", {"form": form})


def _subscribe_initial(request: HttpRequest) -> dict[str, object]:
    """Preselect what the "subscribe" buttons on topic and paper pages point at (`?topic=`, `?paper=`)."""
    initial: dict[str, object] = {}
    slug = request.GET.get("topic", "")[:120]
    if slug and (topic := Topic.objects.filter(slug=slug).first()):
        initial["topics"] = [topic]
    paper_id = request.GET.get("paper", "")
    if (
        paper_id.isdigit()
        and len(paper_id) < 19
        and (paper := Paper.objects.visible().filter(pk=paper_id).first())
    ):
        initial["paper"] = paper
    return initial


def subscribe_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "subscriptions/subscribe_sent.html",
        {"max_age_days": settings.SUBSCRIBE_CONFIRM_MAX_AGE_DAYS},
    )


@private
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber, _ = token_read(
            purpose=Purpose.CONFIRM,
            token=token,
            max_age=timedelta(days=settings.SUBSCRIBE_CONFIRM_MAX_AGE_DAYS),
        )
    except BadToken as error:
        if error.subscriber is not None and error.subscriber.status == Subscriber.Status.ACTIVE:
            # Revoked because it was used to come back: the second click is harmless.
            return render(request, "subscriptions/confirm_done.html", {"subscriber": error.subscriber})
        return _bad_link(request, error, purpose=Purpose.CONFIRM, token=token)
    if request.method == "POST":
        subscriber = services.subscriber_confirm(subscriber_id=subscriber.pk)
        messages.success(request, "Your subscription is confirmed. Welcome! You can fine-tune it here.")
        manage_token = token_make(purpose=Purpose.MANAGE, subscriber=subscriber)
        return redirect("subscriptions:manage", token=manage_token)
    return render(
        request,
        "subscriptions/confirm.html",
        {
            "subscriber": subscriber,
            "masked_email": masked(subscriber.email),
            "already": subscriber.status in {"active", "paused"},
        },
    )


@private
@require_POST
def confirm_resend(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")
    if not ratelimit.ip_allowed(request=request, action="resend"):
        return _too_many(request)
    try:
        # Any age: it is the expired links this is for; the signature still proves who it was for.
        subscriber, _ = token_read(purpose=Purpose.CONFIRM, token=token)
    except BadToken as error:
        return _bad_link(request, error, purpose=Purpose.CONFIRM)
    services.confirmation_resend(subscriber_id=subscriber.pk)
    return redirect("subscriptions:subscribe-sent")


@require_http_methods(["GET", "POST"])
def manage_request(request: HttpRequest) -> HttpResponse:
    """Lost your manage link? Same answer whether or not the address subscribes."""
    if request.method == "POST":
        form = EmailRequestForm(request.POST)
        if form.data.get("website"):
            return redirect("subscriptions:manage-request-sent")
        if not ratelimit.ip_allowed(request=request, action="manage-request"):
            return _too_many(request)
        if form.is_valid():
            services.manage_link_request(email=form.cleaned_data["email"])
            return redirect("subscriptions:manage-request-sent")
    else:
        form = EmailRequestForm()
    return render(request, "subscriptions/manage_request.html", {"form": form})


def manage_request_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "subscriptions/manage_request_sent.html")


def _manage_subscriber(token: str) -> Subscriber:
    subscriber, _ = token_read(purpose=Purpose.MANAGE, token=token)
    return subscriber


MANAGE_ACTIONS = {"save", "pause", "resume", "rotate-feed", "change-email", "resubscribe"}


@private
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = _manage_subscriber(token)
    except BadToken as error:
        return _bad_link(request, error, purpose=Purpose.MANAGE)
    here = reverse("subscriptions:manage", args=[token])
    form = ManageForm(subscriber=subscriber)
    email_form = EmailChangeForm()
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action not in MANAGE_ACTIONS:
            action = "save"
        if action == "save":
            form = ManageForm(request.POST, subscriber=subscriber)
            if form.is_valid():
                services.subscriber_preferences_update(
                    subscriber_id=subscriber.pk, preferences=form.preferences()
                )
                messages.success(request, "Your preferences are saved.")
                return HttpResponseRedirect(here)
        elif action == "pause":
            services.subscriber_pause(subscriber_id=subscriber.pk)
            messages.success(request, "Your digests are paused. Resume any time.")
            return HttpResponseRedirect(here)
        elif action == "resume":
            services.subscriber_resume(subscriber_id=subscriber.pk)
            messages.success(request, "Your digests are back on.")
            return HttpResponseRedirect(here)
        elif action == "rotate-feed":
            services.subscriber_feed_token_rotate(subscriber_id=subscriber.pk)
            messages.success(request, "Your private feed has a new address; the old one no longer works.")
            return HttpResponseRedirect(here)
        elif action == "resubscribe":
            if subscriber.status in services.OUT_STATUSES:
                services.confirm_email_send(subscriber=subscriber)
            messages.success(
                request, "We sent a confirmation link to your address; open it to subscribe again."
            )
            return HttpResponseRedirect(here)
        elif action == "change-email":
            email_form = EmailChangeForm(request.POST)
            if email_form.is_valid():
                services.subscriber_email_change_request(
                    subscriber_id=subscriber.pk, new_email=email_form.cleaned_data["new_email"]
                )
                messages.success(
                    request,
                    "We sent a confirmation link to the new address. Your address changes when you open it.",
                )
                return HttpResponseRedirect(here)
    subscriber.refresh_from_db()
    feed_rss, feed_atom = links.personal_feed_urls(subscriber)
    return render(
        request,
        "subscriptions/manage.html",
        {
            "subscriber": subscriber,
            "form": form,
            "email_form": email_form,
            "token": token,
            "feed_rss_url": feed_rss,
            "feed_atom_url": feed_atom,
            "unsubscribe_path": reverse(
                "subscriptions:unsubscribe",
                args=[token_make(purpose=Purpose.UNSUBSCRIBE, subscriber=subscriber)],
            ),
            "is_out": subscriber.status in services.OUT_STATUSES,
        },
    )


@private
def manage_data(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = _manage_subscriber(token)
    except BadToken as error:
        return _bad_link(request, error, purpose=Purpose.MANAGE)
    from subscriptions.selectors import subscriber_export

    body = json.dumps(subscriber_export(subscriber=subscriber), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-paper-digest-data.json"'
    return response


@private
@require_http_methods(["GET", "POST"])
def manage_delete(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = _manage_subscriber(token)
    except BadToken as error:
        return _bad_link(request, error, purpose=Purpose.MANAGE)
    if request.method == "POST":
        services.subscriber_delete(subscriber_id=subscriber.pk)
        return render(request, "subscriptions/deleted.html")
    return render(
        request, "subscriptions/delete.html", {"masked_email": masked(subscriber.email), "token": token}
    )


@private
@csrf_exempt  # RFC 8058: mail providers POST without cookies or a CSRF token; the signed link is the proof.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber, _ = token_read(purpose=Purpose.UNSUBSCRIBE, token=token)
    except BadToken as error:
        return _bad_link(request, error, purpose=Purpose.UNSUBSCRIBE)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        services.subscriber_unsubscribe(
            subscriber_id=subscriber.pk, source="one-click" if one_click else "link"
        )
        subscriber.refresh_from_db()
    # Never a redirect: RFC 8058 clients want a 2xx for the POST itself.
    done = subscriber.status in services.OUT_STATUSES
    manage_path = reverse(
        "subscriptions:manage", args=[token_make(purpose=Purpose.MANAGE, subscriber=subscriber)]
    )
    return render(
        request,
        "subscriptions/unsubscribe.html",
        {"done": done, "masked_email": masked(subscriber.email), "manage_path": manage_path},
    )


@private
@require_http_methods(["GET", "POST"])
def change_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber, new_hash = token_read(
            purpose=Purpose.CHANGE_EMAIL,
            token=token,
            max_age=timedelta(days=settings.SUBSCRIBE_CONFIRM_MAX_AGE_DAYS),
        )
    except BadToken as error:
        return _bad_link(request, error, purpose=Purpose.CHANGE_EMAIL)
    if not subscriber.pending_email or services.address_hash(subscriber.pending_email) != new_hash:
        return render(
            request,
            "subscriptions/change_email_failed.html",
            {"reason": "This link is for an address change that was replaced or already done."},
            status=400,
        )
    if request.method == "POST":
        try:
            subscriber = services.subscriber_email_change_confirm(
                subscriber_id=subscriber.pk, token_hash=new_hash
            )
        except services.EmailChangeError as error:
            return render(
                request, "subscriptions/change_email_failed.html", {"reason": str(error)}, status=400
            )
        messages.success(request, "Your email address is changed. Links in older emails no longer work.")
        return redirect(
            "subscriptions:manage", token=token_make(purpose=Purpose.MANAGE, subscriber=subscriber)
        )
    return render(
        request,
        "subscriptions/change_email.html",
        {"old_email": masked(subscriber.email), "new_email": subscriber.pending_email},
    )
