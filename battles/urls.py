from django.urls import URLPattern, path

from battles import operator_views, views

app_name = "battles"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("battles/<uuid:battle_id>/", views.battle_page, name="battle"),
    path("battles/<uuid:battle_id>/turns/", views.follow_up, name="follow_up"),
    path("battles/<uuid:battle_id>/vote/", views.vote, name="vote"),
    path("operator/exclusions/", operator_views.exclusions, name="exclusions"),
]
