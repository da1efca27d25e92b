from django.urls import path

from ratings import views

app_name = "ratings"
urlpatterns = [
    path("", views.leaderboard, name="leaderboard"),
    path("preliminary/", views.preliminary_leaderboard, name="preliminary"),
    path("overview/", views.leaderboard_overview, name="overview"),
    path("model/<int:contender_id>/", views.model_page, name="model"),
    path("plotly.min.js", views.plotly_js, name="plotly_js"),
]
