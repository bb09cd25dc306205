from django.urls import path

from subscriptions import views

app_name = "subscriptions"

# Tokens are signed strings of [A-Za-z0-9_:-]; `str` keeps the routes simple and token_read checks them.
urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/check-your-inbox/", views.subscribe_sent, name="subscribe-sent"),
    path("subscribe/confirm/resend/", views.confirm_resend, name="confirm-resend"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="confirm"),
    path("manage/", views.manage_request, name="manage-request"),
    path("manage/sent/", views.manage_request_sent, name="manage-request-sent"),
    path("manage/<str:token>/", views.manage, name="manage"),
    path("manage/<str:token>/my-data.json", views.manage_data, name="manage-data"),
    path("manage/<str:token>/delete/", views.manage_delete, name="manage-delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("email/confirm/<str:token>/", views.change_email, name="change-email"),
]
