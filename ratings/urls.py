from django.urls import path

from ratings import views

app_name = "ratings"
urlpatterns = [
    path("", views.leaderboard, name="leaderboard"),
    path("plotly.min.js", views.plotly_js, name="plotly_js"),
]
