from django.urls import path

from digest.feeds import views

urlpatterns = []
for fmt in ("rss", "atom"):
    urlpatterns += [
        path(f"latest.{fmt}", views.latest, {"fmt": fmt}, name=f"feed-latest-{fmt}"),
        path(f"topics/<slug:slug>.{fmt}", views.topic, {"fmt": fmt}, name=f"feed-topic-{fmt}"),
        path(f"authors/<int:pk>.{fmt}", views.author, {"fmt": fmt}, name=f"feed-author-{fmt}"),
        path(f"personal/<str:token>.{fmt}", views.personal, {"fmt": fmt}, name=f"feed-personal-{fmt}"),
    ]
