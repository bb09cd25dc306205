from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # First: feeds are the most requested URLs, and resolving them should not walk the others.
    path("feeds/", include("digest.feeds.urls")),
    path("admin/", admin.site.urls),
    path("", include("digest.mailbox_urls")),
    path("", include("digest.papers.urls")),
    path("", include("subscriptions.urls")),
    path("", include("digest.delivery.urls")),
    path("", include("digest.matching.urls")),
    path("anymail/", include("anymail.urls")),
]
