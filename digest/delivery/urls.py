from django.urls import path

from digest.delivery import views

app_name = "delivery"

urlpatterns = [
    path("digest/<str:token>/", views.delivery_view, name="view"),
]
