from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("digest.mailbox_urls")),
    path("", include("digest.papers.urls")),
    path("", include("digest.feeds.urls")),
    path("", include("subscriptions.urls")),
    path("", include("digest.delivery.urls")),
    path("", include("digest.matching.urls")),
    path("anymail/", include("anymail.urls")),
]
