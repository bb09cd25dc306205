from django.urls import path

from digest.matching import views

app_name = "matching"

urlpatterns = [
    path("feedback/<str:token>/<str:direction>/", views.feedback, name="feedback"),
]
