from django.urls import path

from digest.papers import views

urlpatterns = [
    path("", views.home, name="home"),
    path("papers/<int:pk>/", views.paper_detail, name="paper-detail"),
    path("authors/<int:pk>/", views.author_detail, name="author-detail"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic-detail"),
]
