"""The JSON API: one NinjaAPI, with a router per app; OpenAPI schema at /api/openapi.json."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from arena.errors import ArenaError
from arena.unavailable import UNAVAILABLE_ERRORS, unavailable_response
from battles.api import router as battles_router
from ratings.api import router as ratings_router

api = NinjaAPI(title="Arena API", version="1.0", urls_namespace="api")
api.add_router("/", battles_router)
api.add_router("/", ratings_router)


@api.exception_handler(ArenaError)
def arena_error(request: HttpRequest, exc: ArenaError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status)


def service_unavailable(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
    return unavailable_response(request)


for _error in UNAVAILABLE_ERRORS:
    api.add_exception_handler(_error, service_unavailable)


_PARAM_SOURCES = ("body", "payload", "path", "query")


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # A readable 400 ("prompt: Field required") instead of pydantic's raw 422 list.
    problems = []
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in _PARAM_SOURCES]
        msg = str(error.get("msg"))
        problems.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    detail = "Invalid input: " + "; ".join(problems)
    return api.create_response(request, {"detail": detail}, status=400)
