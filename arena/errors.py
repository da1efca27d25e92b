"""Errors a user can cause, each with the HTTP status the API answers with."""


class ArenaError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ArenaError):
    status = 400


class Forbidden(ArenaError):
    status = 403


class NotFound(ArenaError):
    status = 404


class Conflict(ArenaError):
    status = 409


class RateLimited(ArenaError):
    status = 429


class Unavailable(ArenaError):
    """No two contenders can answer right now."""

    status = 503
