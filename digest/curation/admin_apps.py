from django.contrib.admin.apps import AdminConfig


class DigestAdminConfig(AdminConfig):
    """Replaces `django.contrib.admin` so `admin.site` is our site (rate-limited login, dashboard)."""

    default_site = "digest.curation.sites.DigestAdminSite"
