from django.urls import URLPattern, path

from battles import report_views, views

app_name = "battles"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("battles/<uuid:battle_id>/", views.battle_page, name="battle"),
    path("battles/<uuid:battle_id>/turns/", views.follow_up, name="follow_up"),
    path("battles/<uuid:battle_id>/vote/", views.vote, name="vote"),
    path("ops/health/", report_views.backend_health_page, name="health"),
    path("transparency/", report_views.transparency_page, name="transparency"),
]
