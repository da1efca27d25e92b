"""One Redis client per process and URL, for the short commands of the web and workers.

Django builds a cache object per request context under ASGI, and with it a new
connection pool, so every request would open a fresh Redis connection; the token
channel and the rate limits use this shared, thread-safe client instead. Blocking reads
need their own (longer) socket timeout: see ``battles.channel``.
"""

from functools import cache

import redis
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
