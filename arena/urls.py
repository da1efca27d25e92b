from django.contrib import admin
from django.urls import include, path

from arena.api import api

handler500 = "arena.unavailable.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("battles.urls")),
    path("leaderboard/", include("ratings.urls")),
]
