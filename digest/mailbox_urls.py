"""The DEBUG-only local mailbox pages: list the .eml files the file backend wrote and show one."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.clickjacking import xframe_options_sameorigin

_NAME = re.compile(r"^[0-9T]+-[0-9a-f]{8}\.eml$")


def _mail_dir() -> Path:
    if not settings.DEBUG or settings.EMAIL_BACKEND != "digest.mailbox.MailboxBackend":
        raise Http404("The local mailbox exists only in DEBUG with the file mail backend.")
    return Path(settings.EMAIL_FILE_PATH)


def _load(path: Path) -> EmailMessage:
    with path.open("rb") as fh:
        return email.message_from_binary_file(fh, policy=email.policy.default)  # type: ignore[return-value]


def mailbox_list(request: HttpRequest) -> HttpResponse:
    directory = _mail_dir()
    files = sorted(directory.glob("*.eml"), reverse=True)[:200] if directory.exists() else []
    messages = []
    for file in files:
        msg = _load(file)
        messages.append({"name": file.name, "to": msg["To"], "subject": msg["Subject"], "date": msg["Date"]})
    return render(request, "mailbox/list.html", {"messages_": messages})


def _message_file(name: str) -> Path:
    if not _NAME.match(name):
        raise Http404("No such message")
    file = _mail_dir() / name
    if not file.exists():
        raise Http404("No such message")
    return file


def mailbox_detail(request: HttpRequest, name: str) -> HttpResponse:
    msg = _load(_message_file(name))
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return render(
        request,
        "mailbox/detail.html",
        {
            "name": name,
            "headers": list(msg.items()),
            "text": text.get_content() if text else "",
            "has_html": html is not None,
        },
    )


@xframe_options_sameorigin
def mailbox_html(request: HttpRequest, name: str) -> HttpResponse:
    msg = _load(_message_file(name))
    html = msg.get_body(preferencelist=("html",))
    if html is None:
        raise Http404("This message has no HTML part")
    response = HttpResponse(html.get_content(), content_type="text/html; charset=utf-8")
    # The email is untrusted markup shown inside our own site: no scripts, no forms.
    response["Content-Security-Policy"] = (
        "sandbox allow-popups allow-popups-to-escape-sandbox; script-src 'none'"
    )
    return response


urlpatterns = [
    path("_mailbox/", mailbox_list, name="mailbox-list"),
    path("_mailbox/<str:name>/", mailbox_detail, name="mailbox-detail"),
    path("_mailbox/<str:name>/html/", mailbox_html, name="mailbox-html"),
]
