from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, path

from digest.curation.login_limits import login_blocked, login_failure_record, login_success_record
from subscriptions.ratelimit import client_ip


class RateLimitedAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "rate_limited": "Too many failed login attempts. Wait a few minutes and try again.",
    }

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        # The real client behind our own proxies (TRUSTED_PROXY_COUNT), as the signup limits see it.
        ip = (client_ip(self.request) if self.request else None) or "unknown"
        if login_blocked(ip=ip, username=username):
            # Checked before authenticating: a correct password must not be confirmable while blocked.
            raise ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        try:
            cleaned = super().clean()
        except ValidationError:
            login_failure_record(ip=ip, username=username)
            raise
        login_success_record(ip=ip, username=username)
        return cleaned


class DigestAdminSite(admin.AdminSite):
    login_form = RateLimitedAuthenticationForm
    site_title = "Curation"
    index_title = "Curation"

    @property
    def site_header(self) -> str:  # type: ignore[override]
        return f"{settings.SITE_NAME} curation"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        from digest.curation.dashboard import dashboard_view

        return [
            path("dashboard/", self.admin_view(dashboard_view), name="dashboard"),
            *super().get_urls(),
        ]

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        return {**super().each_context(request), "SITE_NAME": settings.SITE_NAME}
