"""One Redis client per process, for the short commands of the web and workers.

Django builds a cache object per request context under ASGI, and with it a new
connection pool, so every request would open a fresh Redis connection. The token
channel and the rate limits use ``redis_client``, the cache (and with it the sessions)
``SharedRedisCache``: thread-safe clients shared by the whole process. Blocking reads
need their own (longer) socket timeout: see ``battles.channel``.
"""

import threading
from functools import cache
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property
from redis.backoff import ExponentialBackoff
from redis.retry import Retry


@cache
def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=5.0,
        socket_connect_timeout=2.0,
        health_check_interval=30,
        # Ride out a blip; a real outage is the caller's to handle, quickly.
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 2),
    )


class _ReusedClients(RedisCacheClient):
    """Django's cache client, building one ``redis.Redis`` per connection pool instead
    of one per command (the construction cost more CPU than the command). Clients are
    thread-safe: each command borrows a connection from the pool."""

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            built = self._client(connection_pool=pool)  # type: ignore[attr-defined]
            client = self._clients.setdefault(id(pool), built)
        return client


_cache_clients: dict[tuple[object, ...], RedisCacheClient] = {}
_cache_clients_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    """Django's Redis cache backend with one client (and pool) per process.

    ``CACHES["default"]["BACKEND"] = "arena.redis_client.SharedRedisCache"``. Django's
    own builds its client per cache object, which under ASGI is per request context.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._location = server
        self._client_options: dict[str, Any] = dict(params.get("OPTIONS", {}))

    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (self._location, repr(sorted(self._client_options.items())))
        with _cache_clients_lock:
            if key not in _cache_clients:
                servers = self._location.replace(";", ",").split(",")
                _cache_clients[key] = _ReusedClients(servers, **self._client_options)
            return _cache_clients[key]
