"""The JSON API: one NinjaAPI, with a router per app; OpenAPI schema at /api/openapi.json."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from battles.api import router as battles_router
from battles.errors import ArenaError
from ratings.api import router as ratings_router

api = NinjaAPI(title="Arena API", version="1.0", urls_namespace="api")
api.add_router("/", battles_router)
api.add_router("/", ratings_router)


@api.exception_handler(ArenaError)
def arena_error(request: HttpRequest, exc: ArenaError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status)
