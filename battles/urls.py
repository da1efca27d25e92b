from django.urls import URLPattern, path

from battles import operator_views, report_views, views

app_name = "battles"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("battles/<uuid:battle_id>/", views.battle_page, name="battle"),
    path("battles/<uuid:battle_id>/turns/", views.follow_up, name="follow_up"),
    path("battles/<uuid:battle_id>/vote/", views.vote, name="vote"),
    path("battles/<uuid:battle_id>/regenerate/", views.regenerate, name="regenerate"),
    path("battles/<uuid:battle_id>/share/", views.share, name="share"),
    path("battles/<uuid:battle_id>/share/delete/", views.unshare, name="unshare"),
    path("shared/<str:token>/", views.shared_page, name="shared"),
    path("side-by-side/", views.side_by_side, name="side_by_side"),
    path("direct/", views.direct_chat, name="direct"),
    path("operator/exclusions/", operator_views.exclusions, name="exclusions"),
    path("ops/health/", report_views.backend_health_page, name="health"),
    path("transparency/", report_views.transparency_page, name="transparency"),
]
